package api

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// SealKeyID returns the identifier of an issuance-seal public key: the
// first 8 bytes of SHA-256 over the 32 key bytes, as 16 lowercase hex digits.
// Both sides derive it, so a key ID never has to be configured.
func SealKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ParseSealPublicKey reads an Ed25519 public key written either as a PEM
// "PUBLIC KEY" block (PKIX, as `central pki init` writes seal-pub.pem) or as
// 64 hexadecimal digits. Blank lines and lines starting with '#' around the
// hex form are ignored.
func ParseSealPublicKey(data []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(data); block != nil {
		return parsePEMKey(block)
	}
	var digits string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			digits += line
		}
	}
	if digits == "" {
		return nil, errors.New("no key found: write a PEM PUBLIC KEY block or 64 hexadecimal digits")
	}
	b, err := hex.DecodeString(digits)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%q is not an Ed25519 public key: write a PEM PUBLIC KEY block or 64 hexadecimal digits",
			shorten(digits))
	}
	return ed25519.PublicKey(b), nil
}

func parsePEMKey(block *pem.Block) (ed25519.PublicKey, error) {
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block is %q, want \"PUBLIC KEY\" (the seal-pub.pem file, not seal-key.pem)",
			block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PEM public key: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("PEM public key is a %T, want an Ed25519 key", key)
	}
	return pub, nil
}

func shorten(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
