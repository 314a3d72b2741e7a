package pki

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/central/api"
)

func TestInitWritesSealKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(InitOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	key, err := LoadSealKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if key.ID != api.SealKeyID(key.Public()) || len(key.ID) != 16 {
		t.Errorf("key ID %q is not the 16-digit ID of the public key", key.ID)
	}
	info, err := os.Stat(filepath.Join(dir, SealKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("seal key mode %v, want 0600", info.Mode().Perm())
	}
}

func TestLoadSealKeyMismatchedPublic(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	if _, err := CreateSealKey(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateSealKey(other); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(other, SealPubFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SealPubFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSealKey(dir)
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched pair: %v, want a does-not-match error", err)
	}
}

func TestLoadOrCreateSealKey(t *testing.T) {
	dir := t.TempDir()
	first, created, err := LoadOrCreateSealKey(dir)
	if err != nil || !created {
		t.Fatalf("first call: created %v, %v", created, err)
	}
	again, created, err := LoadOrCreateSealKey(dir)
	if err != nil || created {
		t.Fatalf("second call: created %v, %v", created, err)
	}
	if again.ID != first.ID {
		t.Errorf("second call loaded key %s, want %s", again.ID, first.ID)
	}
}
