package pki

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"permitdesk/central/api"
)

// Seal key files inside a PKI directory: the Ed25519 key that signs the
// issuance seal of each approved application (PKCS #8, mode 0600) and its
// public key (PKIX), which stations may pin.
const (
	SealKeyFile = "seal-key.pem"
	SealPubFile = "seal-pub.pem"
)

// SealKey is the central system's issuance-seal signing key.
type SealKey struct {
	// ID is api.SealKeyID of the public key.
	ID      string
	Private ed25519.PrivateKey
}

// Public returns the public half of the key.
func (k *SealKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// Sign returns the Ed25519 signature of message.
func (k *SealKey) Sign(message []byte) []byte { return ed25519.Sign(k.Private, message) }

// CreateSealKey writes a new seal key pair to dir, replacing one that is
// there. Seals made with a replaced key no longer verify at stations that
// fetch the new key, so the central server seals its approved applications
// again at the next start.
func CreateSealKey(dir string) (*SealKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create PKI directory: %w", err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})
	if err := os.WriteFile(filepath.Join(dir, SealKeyFile), privPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write seal key: %w", err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(dir, SealPubFile), pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write seal public key: %w", err)
	}
	return &SealKey{ID: api.SealKeyID(pub), Private: priv}, nil
}

// LoadSealKey reads the seal key pair from dir and checks that the public
// key file matches the private key.
func LoadSealKey(dir string) (*SealKey, error) {
	path := filepath.Join(dir, SealKeyFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seal key: %w (run `permitdesk central pki init --dir %s`)", err, dir)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("seal key file %s holds no PEM PRIVATE KEY block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse seal key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("seal key %s is a %T, want an Ed25519 key", path, key)
	}
	sk := &SealKey{ID: api.SealKeyID(priv.Public().(ed25519.PublicKey)), Private: priv}
	pub, err := LoadSealPublicKey(dir)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(pub, sk.Public()) {
		return nil, fmt.Errorf("%s does not match %s in %s: run `permitdesk central pki init --seal-key` to make a new pair",
			SealPubFile, SealKeyFile, dir)
	}
	return sk, nil
}

// LoadSealPublicKey reads the seal public key from dir.
func LoadSealPublicKey(dir string) (ed25519.PublicKey, error) {
	path := filepath.Join(dir, SealPubFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seal public key: %w", err)
	}
	pub, err := api.ParseSealPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("seal public key %s: %w", path, err)
	}
	return pub, nil
}

// LoadOrCreateSealKey loads the seal key from dir, or creates one when dir
// has none yet, as in a PKI directory made before seal keys existed.
// created reports whether a new key was written.
func LoadOrCreateSealKey(dir string) (key *SealKey, created bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, SealKeyFile)); errors.Is(err, os.ErrNotExist) {
		key, err := CreateSealKey(dir)
		return key, err == nil, err
	}
	key, err = LoadSealKey(dir)
	return key, false, err
}
