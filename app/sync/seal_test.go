package sync

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"permitdesk/app/permit"
	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/central/server"
	"permitdesk/devices/permitcard"
)

// sealedData maps a cached application and its seal to the chip data the
// seal covers.
func sealedData(a permit.Application, seal permitcard.Seal) permitcard.CardData {
	return permitcard.CardData{
		Holder: permitcard.Holder{Name: a.Holder.Name, Sex: string(a.Holder.Sex), Ethnicity: a.Holder.Ethnicity,
			BirthDate: a.Holder.BirthDate, IDNumber: a.Holder.IDNumber, HukouAddress: a.Holder.HukouAddress},
		Permit: permitcard.Permit{Number: a.PermitNumber, Authority: a.Authority, ValidFrom: a.ValidFrom,
			ValidTo: a.ValidTo},
		Photo: a.Photo,
		Seal:  seal,
	}
}

func TestPullStoresVerifiableSeals(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	ctx := context.Background()
	rep, err := s.svc.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SealKeys != 1 {
		t.Errorf("pull cached %d seal keys, want 1", rep.SealKeys)
	}
	keys, err := s.svc.TrustedSealKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keys[testSealKey.ID]; !ok || len(keys) != 1 {
		t.Fatalf("trusted keys %v, want only %s", keys, testSealKey.ID)
	}
	for _, a := range approved(ds, "DEV-0001")[:5] {
		app, err := s.svc.Application(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		seal, err := s.svc.ApplicationSeal(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := permitcard.VerifySeal(sealedData(app, seal), keys); err != nil {
			t.Errorf("application %s: %v", a.ID, err)
		}
		app.Photo[len(app.Photo)-3] ^= 0x40
		if err := permitcard.VerifySeal(sealedData(app, seal), keys); !errors.Is(err, permitcard.ErrSealInvalid) {
			t.Errorf("application %s with a changed photo byte: %v, want ErrSealInvalid", a.ID, err)
		}
	}
}

func TestTrustedSealKeysFetchedThenCached(t *testing.T) {
	c := startCentral(t, bulkSeed(t, 3), server.Faults{})
	s := newStation(t, c, stationOptions{})
	ctx := context.Background()
	keys, err := s.svc.TrustedSealKeys(ctx)
	if err != nil {
		t.Fatalf("fetch on first use: %v", err)
	}
	if len(keys) != 1 || keys[testSealKey.ID] == nil {
		t.Fatalf("fetched keys %v, want %s", keys, testSealKey.ID)
	}
	c.stop()
	cached, err := s.svc.TrustedSealKeys(ctx)
	if err != nil {
		t.Fatalf("cached keys with the central system down: %v", err)
	}
	if !cached[testSealKey.ID].Equal(testSealKey.Public()) {
		t.Error("cached key differs from the central system's")
	}
}

func TestTrustedSealKeysPinned(t *testing.T) {
	c := startCentral(t, bulkSeed(t, 3), server.Faults{})
	other, err := pki.CreateSealKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hexFile := filepath.Join(t.TempDir(), "seal.hex")
	if err := os.WriteFile(hexFile, []byte(hex.EncodeToString(other.Public())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file string
		want       *pki.SealKey
	}{
		{"central PEM", filepath.Join(c.pkiDir, pki.SealPubFile), testSealKey},
		{"other key in hex", hexFile, other},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStation(t, c, stationOptions{options: func(o *Options) { o.SealKeyFile = tc.file }})
			ctx := context.Background()
			rep, err := s.svc.Pull(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.SealKeys != 0 {
				t.Errorf("pull with a pinned key cached %d keys, want 0", rep.SealKeys)
			}
			keys, err := s.svc.TrustedSealKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || !keys[tc.want.ID].Equal(tc.want.Public()) {
				t.Errorf("trusted keys %v, want only the pinned %s", keys, tc.want.ID)
			}
		})
	}
}

func TestTrustedSealKeysNoneOffline(t *testing.T) {
	c := startCentral(t, bulkSeed(t, 1), server.Faults{})
	s := newStation(t, c, stationOptions{options: func(o *Options) { o.Client = nil }})
	_, err := s.svc.TrustedSealKeys(context.Background())
	if !errors.Is(err, ErrNoSealKeys) {
		t.Errorf("no client and no cache: %v, want ErrNoSealKeys", err)
	}
}

func TestApplicationSealMissing(t *testing.T) {
	ds := bulkSeed(t, 2)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	ctx := context.Background()
	if _, err := s.svc.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	id := approved(ds, "DEV-0001")[0].ID
	if _, err := s.db.Exec(`UPDATE sync_applications SET seal_key_id = '', seal_signature = NULL WHERE id = ?`,
		id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ApplicationSeal(ctx, id); !errors.Is(err, ErrNoSeal) {
		t.Errorf("application without a seal: %v, want ErrNoSeal", err)
	}
	if _, err := s.svc.ApplicationSeal(ctx, "JZ-missing"); !errors.Is(err, ErrApplicationNotFound) {
		t.Errorf("unknown application: %v, want ErrApplicationNotFound", err)
	}
}

func TestCheckSealKeysRejectsBadKeys(t *testing.T) {
	pub := testSealKey.Public()
	good := api.SealKey{KeyId: api.SealKeyID(pub), Algorithm: api.SealEd25519, PublicKey: pub}
	cases := []struct {
		name string
		key  api.SealKey
	}{
		{"unknown algorithm", api.SealKey{KeyId: good.KeyId, Algorithm: "rsa", PublicKey: pub}},
		{"short key", api.SealKey{KeyId: good.KeyId, Algorithm: api.SealEd25519, PublicKey: pub[:16]}},
		{"foreign key ID", api.SealKey{KeyId: "0011223344556677", Algorithm: api.SealEd25519, PublicKey: pub}},
	}
	if err := checkSealKeys([]api.SealKey{good}); err != nil {
		t.Fatalf("good key: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkSealKeys([]api.SealKey{good, tc.key}); !errors.Is(err, ErrMalformed) {
				t.Errorf("%v, want ErrMalformed", err)
			}
		})
	}
}
