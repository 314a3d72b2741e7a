package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/devices/permitcard"
)

// cardData maps an application as the API returns it to the chip data the
// seal covers, the way a station writes it.
func cardData(a api.Application, photo []byte) permitcard.CardData {
	d := permitcard.CardData{
		Holder: permitcard.Holder{Name: a.Holder.Name, Sex: string(a.Holder.Sex), Ethnicity: a.Holder.Ethnicity,
			BirthDate: a.Holder.BirthDate.Time, IDNumber: a.Holder.IdNumber, HukouAddress: a.Holder.HukouAddress},
		Permit: permitcard.Permit{Number: a.PermitNumber, Authority: a.Authority, ValidFrom: a.ValidFrom.Time,
			ValidTo: a.ValidTo.Time},
		Photo: photo,
	}
	if a.Seal != nil {
		d.Seal = permitcard.Seal{KeyID: a.Seal.KeyId, Signature: a.Seal.Signature}
	}
	return d
}

// trusted returns the store's published keys as VerifySeal takes them.
func trusted(t *testing.T, st *Store) map[string]ed25519.PublicKey {
	t.Helper()
	keys := st.SealKeys()
	if len(keys) != 1 {
		t.Fatalf("%d published seal keys, want 1", len(keys))
	}
	k := keys[0]
	if k.KeyId != api.SealKeyID(k.PublicKey) || k.Algorithm != api.SealEd25519 {
		t.Fatalf("published key %+v: ID or algorithm wrong", k)
	}
	return map[string]ed25519.PublicKey{k.KeyId: ed25519.PublicKey(k.PublicKey)}
}

func openWithPhotos(t *testing.T, key *pki.SealKey) (*Store, *seed.Dataset) {
	t.Helper()
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: "DEV-0001", Approved: 2, Pending: 1}},
		ExtraHouseCodes: 1, RetiredHouseCodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	st, err := Open(context.Background(), Options{Dir: t.TempDir(), Now: func() time.Time { return now },
		SealKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Seed(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	return st, ds
}

func TestApproveSealVerifies(t *testing.T) {
	key, err := pki.CreateSealKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, ds := openWithPhotos(t, key)
	ctx := context.Background()
	pending := ds.Applications[2]
	a, err := st.Approve(ctx, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Seal == nil {
		t.Fatal("approved application has no seal")
	}
	if a.Seal.KeyId != key.ID {
		t.Errorf("seal key ID %q, want %q", a.Seal.KeyId, key.ID)
	}
	photo, err := st.Photo(ctx, "DEV-0001", a.Id)
	if err != nil {
		t.Fatal(err)
	}
	if err := permitcard.VerifySeal(cardData(a, photo), trusted(t, st)); err != nil {
		t.Errorf("seal of the approved application: %v", err)
	}
}

func TestSealTamperedFieldFails(t *testing.T) {
	key, err := pki.CreateSealKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, ds := openWithPhotos(t, key)
	ctx := context.Background()
	a, _, err := st.Application(ctx, ds.Applications[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	photo, err := st.Photo(ctx, "DEV-0001", a.Id)
	if err != nil {
		t.Fatal(err)
	}
	keys := trusted(t, st)
	if err := permitcard.VerifySeal(cardData(a, photo), keys); err != nil {
		t.Fatalf("seeded application's seal: %v", err)
	}
	cases := []struct {
		name   string
		change func(*permitcard.CardData)
	}{
		{"name", func(d *permitcard.CardData) { d.Holder.Name += "甲" }},
		{"ID number", func(d *permitcard.CardData) { d.Holder.IDNumber = "440304199001011234" }},
		{"photo byte", func(d *permitcard.CardData) { d.Photo[len(d.Photo)/2] ^= 0x01 }},
		{"valid to", func(d *permitcard.CardData) { d.Permit.ValidTo = d.Permit.ValidTo.AddDate(1, 0, 0) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := cardData(a, append([]byte(nil), photo...))
			tc.change(&d)
			if err := permitcard.VerifySeal(d, keys); !errors.Is(err, permitcard.ErrSealInvalid) {
				t.Errorf("tampered %s: %v, want ErrSealInvalid", tc.name, err)
			}
		})
	}
}

func TestApproveWithoutSealKey(t *testing.T) {
	st, ds := openWithPhotos(t, nil)
	ctx := context.Background()
	a, _, err := st.Application(ctx, ds.Applications[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Seal != nil {
		t.Errorf("application seeded without a key has seal %+v", a.Seal)
	}
	if _, err := st.Approve(ctx, ds.Applications[2].ID); !errors.Is(err, ErrNoSealKey) {
		t.Errorf("approve without a key: %v, want ErrNoSealKey", err)
	}
	if len(st.SealKeys()) != 0 {
		t.Error("a store without a key publishes seal keys")
	}
}

func TestSealMissingSealsAndResequences(t *testing.T) {
	dir := t.TempDir()
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: "DEV-0001", Approved: 3, Pending: 1}},
		ExtraHouseCodes: 1, RetiredHouseCodes: 1, NoPhotos: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	plain, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Seed(ctx, ds); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	key, err := pki.CreateSealKey(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, Options{Dir: dir, SealKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	before, _ := st.MaxSeq(ctx)
	n, err := st.SealMissing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("sealed %d applications, want the 3 approved ones", n)
	}
	items, _, err := st.Applications(ctx, "DEV-0001", before, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("%d applications after sequence %d, want 3 pulled again", len(items), before)
	}
	for _, a := range items {
		if err := permitcard.VerifySeal(cardData(a, nil), trusted(t, st)); err != nil {
			t.Errorf("application %s: %v", a.Id, err)
		}
	}
	if n, err := st.SealMissing(ctx); err != nil || n != 0 {
		t.Errorf("second run sealed %d (%v), want 0", n, err)
	}
}
