package permitcard

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrSealInvalid is wrapped when a seal does not verify.
var ErrSealInvalid = errors.New("issuance seal invalid")

// SealMessage returns the bytes the central system signs for a card. It is
// UTF-8 text: the line "permitdesk-seal-v1", then one "name=value" line per
// field in this order, each ending in "\n":
//
//	permit_number, name, sex, ethnicity, birth_date (YYYYMMDD), id_number,
//	hukou_address, authority, valid_from (YYYYMMDD), valid_to (YYYYMMDD),
//	photo_sha256 (lowercase hex of SHA-256 over the JPEG bytes)
//
// The address, issue time and station are left out because they are set
// or changed at the workstation, and the card serial is left out so the seal
// can be made at approval, before a card is chosen. A seal therefore proves
// the data was approved, not that the chip is genuine; the card key does
// that. Values containing a line break are rejected.
func SealMessage(h Holder, p Permit, photo []byte) ([]byte, error) {
	sum := sha256.Sum256(photo)
	fields := [][2]string{
		{"permit_number", p.Number}, {"name", h.Name}, {"sex", h.Sex}, {"ethnicity", h.Ethnicity},
		{"birth_date", formatDate(h.BirthDate)}, {"id_number", h.IDNumber},
		{"hukou_address", h.HukouAddress}, {"authority", p.Authority},
		{"valid_from", formatDate(p.ValidFrom)}, {"valid_to", formatDate(p.ValidTo)},
		{"photo_sha256", hex.EncodeToString(sum[:])},
	}
	var b strings.Builder
	b.WriteString("permitdesk-seal-v1\n")
	for _, f := range fields {
		if strings.ContainsAny(f[1], "\r\n") {
			return nil, fmt.Errorf("%w: seal field %s contains a line break", ErrBadContent, f[0])
		}
		b.WriteString(f[0] + "=" + f[1] + "\n")
	}
	return []byte(b.String()), nil
}

// SignSeal signs the card data with priv, for the reference central system
// and tests.
func SignSeal(keyID string, priv ed25519.PrivateKey, d CardData) (Seal, error) {
	msg, err := SealMessage(d.Holder, d.Permit, d.Photo)
	if err != nil {
		return Seal{}, err
	}
	return Seal{KeyID: keyID, Signature: ed25519.Sign(priv, msg)}, nil
}

// VerifySeal checks the seal in d against the public keys by key ID. The
// caller chooses which keys to trust (configuration or the app).
func VerifySeal(d CardData, trusted map[string]ed25519.PublicKey) error {
	pub, ok := trusted[d.Seal.KeyID]
	if !ok {
		return fmt.Errorf("%w: seal key %q is not trusted: add its public key to the configuration",
			ErrSealInvalid, d.Seal.KeyID)
	}
	msg, err := SealMessage(d.Holder, d.Permit, d.Photo)
	if err != nil {
		return err
	}
	if len(d.Seal.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, msg, d.Seal.Signature) {
		return fmt.Errorf("%w: signature by key %q does not match the card data", ErrSealInvalid, d.Seal.KeyID)
	}
	return nil
}
