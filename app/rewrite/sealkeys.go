package rewrite

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadSealKeys reads the trusted issuance-seal public keys from dir: one
// file per key named KEYID.pub, holding the 32-byte Ed25519 public key as
// 64 hexadecimal digits or as standard base64, with blank lines and lines
// starting with '#' ignored. A missing dir returns no keys, so every card
// is refused until keys are installed.
func LoadSealKeys(dir string) (map[string]ed25519.PublicKey, error) {
	out := map[string]ed25519.PublicKey{}
	files, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read seal key: %w", err)
		}
		key, err := parseSealKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("seal key file %s: %w", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".pub")] = key
	}
	return out, nil
}

func parseSealKey(text string) (ed25519.PublicKey, error) {
	var value string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			value = line
			break
		}
	}
	if value == "" {
		return nil, errors.New("no key in the file: write the public key as 64 hex digits or base64")
	}
	b, err := hex.DecodeString(value)
	if err != nil {
		if b, err = base64.StdEncoding.DecodeString(value); err != nil {
			return nil, errors.New("the key is neither hexadecimal nor base64")
		}
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("the key is %d bytes, an Ed25519 public key is %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}
