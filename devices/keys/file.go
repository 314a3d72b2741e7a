package keys

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// DevMasterKey is the published development master key that the card and
// PSAM emulators use by default and that testdata/cards/dev-master.key
// contains. It protects nothing: never load it for real cards.
var DevMasterKey = MasterKey{
	0x50, 0x44, 0x45, 0x56, 0x2D, 0x4D, 0x41, 0x53,
	0x54, 0x45, 0x52, 0x2D, 0x4B, 0x45, 0x59, 0x31,
}

// File is a Provider that holds the master key in memory, read from a key
// file. It is for development and tests: in production the master key stays
// inside the PSAM.
type File struct {
	mk MasterKey
}

// NewFile returns a Provider for a master key already in memory.
func NewFile(mk MasterKey) *File { return &File{mk: mk} }

// LoadFile reads a key file: one line of 32 hexadecimal digits, with blank
// lines and lines starting with '#' ignored. Errors name the file and line
// but never show the key.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read key file: %w", ErrKeySource, err)
	}
	mk, err := ParseMasterKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: key file %s: %w", ErrKeySource, path, err)
	}
	return NewFile(mk), nil
}

// ParseMasterKey decodes the key-file format that LoadFile reads.
func ParseMasterKey(b []byte) (MasterKey, error) {
	var mk MasterKey
	sc := bufio.NewScanner(bytes.NewReader(b))
	found := false
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if found {
			return mk, fmt.Errorf("line %d: a second key line; keep exactly one", line)
		}
		raw, err := hex.DecodeString(strings.ReplaceAll(text, " ", ""))
		if err != nil || len(raw) != MasterKeySize {
			return mk, fmt.Errorf("line %d: not %d hexadecimal digits; write the key as one line of hex",
				line, 2*MasterKeySize)
		}
		copy(mk[:], raw)
		found = true
	}
	if !found {
		return mk, fmt.Errorf("no key line; add one line of %d hexadecimal digits", 2*MasterKeySize)
	}
	return mk, nil
}

// Cryptogram encrypts challenge with the card key diversified by factor.
func (f *File) Cryptogram(_ context.Context, factor, challenge []byte) ([]byte, error) {
	return CardCryptogram(f.mk, factor, challenge)
}

// Close does nothing; it makes File a Provider.
func (f *File) Close() error { return nil }
