package issuance

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsync "permitdesk/app/sync"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/server"
	cstore "permitdesk/central/store"
	"permitdesk/devices/permitcard"
)

// sealCentral is a reference central system on 127.0.0.1 that seals the
// applications it seeds.
type sealCentral struct {
	url    string
	pkiDir string
	key    *pki.SealKey
	apps   []seed.Application
}

func startSealCentral(t *testing.T) *sealCentral {
	t.Helper()
	dir := t.TempDir()
	c := &sealCentral{pkiDir: filepath.Join(dir, "pki")}
	if _, err := pki.Init(pki.InitOptions{Dir: c.pkiDir, Stations: []string{"DEV-0001"}}); err != nil {
		t.Fatal(err)
	}
	var err error
	if c.key, err = pki.LoadSealKey(c.pkiDir); err != nil {
		t.Fatal(err)
	}
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: "DEV-0001", Approved: 2}},
		ExtraHouseCodes: 1, RetiredHouseCodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.apps = ds.Applications
	ctx := context.Background()
	st, err := cstore.Open(ctx, cstore.Options{Dir: filepath.Join(dir, "central"), SealKey: c.key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Seed(ctx, ds); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	c.serve(t, srv)
	return c
}

func (c *sealCentral) serve(t *testing.T, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, "127.0.0.1:0", c.pkiDir, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		c.url = "https://" + a.String()
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// station pulls the central system into the harness's database with the
// real sync service and makes it the issuance service's application and seal
// source. sealKeyFile pins a key when not empty.
func (c *sealCentral) station(t *testing.T, h *harness, sealKeyFile string) *appsync.Service {
	t.Helper()
	cert, key := pki.StationFiles(c.pkiDir, "DEV-0001")
	client, err := appsync.NewClient(appsync.ClientOptions{BaseURL: c.url, CAFile: filepath.Join(c.pkiDir, pki.CAFile),
		CertFile: cert, KeyFile: key, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	svc, err := appsync.New(appsync.Options{DB: h.db, Client: client, StationID: "DEV-0001",
		SealKeyFile: sealKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.svc = New(h.db, Options{StationID: "SZ-FT-01", Applications: svc, Outbox: tableOutbox{}, Operators: h.ops})
	return svc
}

func (c *sealCentral) approvedID(t *testing.T) string {
	t.Helper()
	for _, a := range c.apps {
		if a.Status == seed.StatusApproved {
			return a.ID
		}
	}
	t.Fatal("seed data has no approved application")
	return ""
}

// TestEmulatorsCardCarriesCentralSeal issues a card for an application
// pulled from the central system through the real drivers on the emulators,
// then reads the card again: its seal verifies with the fetched key.
func TestEmulatorsCardCarriesCentralSeal(t *testing.T) {
	e := startEmulated(t, 0, 30)
	c := startSealCentral(t)
	h := openHarness(t, t.TempDir(), nil, true)
	sync := c.station(t, h, "")
	w := h.emulatedWorker(e)
	ctx := context.Background()

	j := h.enqueue(c.approvedID(t))
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if err != nil {
		t.Fatalf("issue: %v (state %s, %s)", err, got.State, got.Attention)
	}
	serial, err := permitcard.ParseSerial(got.Card.Serial)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cards.Insert(serial); err != nil {
		t.Fatalf("present the issued card again: %v", err)
	}
	card, err := e.encoder.Encoder.Read(ctx, permitcard.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if card.Data.Seal.KeyID != c.key.ID {
		t.Errorf("card seal key %q, want the central key %q", card.Data.Seal.KeyID, c.key.ID)
	}
	keys, err := sync.TrustedSealKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := permitcard.VerifySeal(card.Data, keys); err != nil {
		t.Errorf("seal on the issued card: %v", err)
	}
	card.Data.Photo[len(card.Data.Photo)/2] ^= 0x01
	if err := permitcard.VerifySeal(card.Data, keys); !errors.Is(err, permitcard.ErrSealInvalid) {
		t.Errorf("card with a changed photo byte: %v, want ErrSealInvalid", err)
	}
}

func TestPinnedSealKey(t *testing.T) {
	c := startSealCentral(t)
	wrongDir := t.TempDir()
	wrong, err := pki.CreateSealKey(wrongDir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file, keyID string
		ok                bool
	}{
		{"central key", filepath.Join(c.pkiDir, pki.SealPubFile), c.key.ID, true},
		{"wrong key", filepath.Join(wrongDir, pki.SealPubFile), wrong.ID, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := openHarness(t, t.TempDir(), newMachine(5), true)
			sync := c.station(t, h, tc.file)
			keys, err := sync.TrustedSealKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, pinned := keys[tc.keyID]; !pinned || len(keys) != 1 {
				t.Errorf("trusted keys %v, want only the pinned one", keyIDs(keys))
			}
			id := c.approvedID(t)
			_, err = h.svc.Enqueue(context.Background(), h.clerk, id)
			if tc.ok {
				if err != nil {
					t.Errorf("enqueue with the central key pinned: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrSealRefused) {
				t.Fatalf("enqueue with a wrong pinned key: %v, want ErrSealRefused", err)
			}
			for _, want := range []string{id, c.key.ID, wrong.ID, "seal_key_file", "sync --once"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not contain %q", err, want)
				}
			}
			if n := h.onHand(); n != stockCards {
				t.Errorf("%d cards on hand, want all %d", n, stockCards)
			}
		})
	}
}
