// Package keys computes the cryptograms that open a permit card for writing.
//
// Each card has its own 2-key 3DES key, diversified from a 16-byte master key
// by an 8-byte factor (the card serial), following the PBOC / Watchdata
// scheme used by FMCOS-style cards:
//
//	SK_left  = 3DES-EDE(MK, F)
//	SK_right = 3DES-EDE(MK, NOT F)
//	SK       = SK_left || SK_right
//
// To authenticate, the host takes an 8-byte GET CHALLENGE from the card,
// encrypts it with SK in 3DES-EDE ECB, and sends the result in EXTERNAL
// AUTHENTICATE. A Provider computes that cryptogram: PSAM keeps the master
// key inside a key card (production), File reads it from a file
// (development only).
//
// Keys never appear in errors or logs: MasterKey formats as a fixed mask.
package keys

import (
	"context"
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
)

// Sizes of the scheme's values, in bytes.
const (
	MasterKeySize  = 16
	FactorSize     = 8
	ChallengeSize  = 8
	CryptogramSize = 8
)

// ErrKeySource is wrapped by failures of the key source itself (a missing
// key card, an unreadable key file), as opposed to a card rejecting a key.
var ErrKeySource = errors.New("card key source failed")

// Provider computes the EXTERNAL AUTHENTICATE cryptogram for one card.
type Provider interface {
	// Cryptogram encrypts challenge with the key diversified by factor.
	// Both are 8 bytes. It is safe to call from one goroutine at a time.
	Cryptogram(ctx context.Context, factor, challenge []byte) ([]byte, error)
	// Close releases the key source.
	Close() error
}

// MasterKey is a 16-byte 2-key 3DES master key. Its String and GoString
// never show the key.
type MasterKey [MasterKeySize]byte

// String returns a mask, so a key printed by mistake stays secret.
func (MasterKey) String() string { return "MasterKey(********)" }

// GoString returns a mask, so %#v stays secret too.
func (MasterKey) GoString() string { return "keys.MasterKey(********)" }

// Diversify derives the card key for factor from the master key.
func Diversify(mk MasterKey, factor []byte) ([16]byte, error) {
	var sk [16]byte
	if len(factor) != FactorSize {
		return sk, fmt.Errorf("diversification factor is %d bytes, want %d", len(factor), FactorSize)
	}
	block, err := tripleDES(mk[:])
	if err != nil {
		return sk, err
	}
	var inverted [FactorSize]byte
	for i, b := range factor {
		inverted[i] = ^b
	}
	block.Encrypt(sk[:8], factor)
	block.Encrypt(sk[8:], inverted[:])
	return sk, nil
}

// Encrypt3DES encrypts one 8-byte block with a 16-byte 2-key 3DES key.
func Encrypt3DES(key [16]byte, block []byte) ([]byte, error) {
	if len(block) != 8 {
		return nil, fmt.Errorf("3DES block is %d bytes, want 8", len(block))
	}
	c, err := tripleDES(key[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8)
	c.Encrypt(out, block)
	return out, nil
}

// CardCryptogram computes the cryptogram for a card whose key is diversified
// from mk by factor.
func CardCryptogram(mk MasterKey, factor, challenge []byte) ([]byte, error) {
	if len(challenge) != ChallengeSize {
		return nil, fmt.Errorf("challenge is %d bytes, want %d", len(challenge), ChallengeSize)
	}
	sk, err := Diversify(mk, factor)
	if err != nil {
		return nil, err
	}
	return Encrypt3DES(sk, challenge)
}

// tripleDES expands a 2-key 3DES key (K1 K2) to K1 K2 K1.
func tripleDES(key16 []byte) (cipher.Block, error) {
	k := make([]byte, 0, 24)
	k = append(k, key16...)
	k = append(k, key16[:8]...)
	return des.NewTripleDESCipher(k)
}
