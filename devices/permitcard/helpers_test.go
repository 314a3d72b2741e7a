package permitcard_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

var testdata = filepath.Join("..", "..", "testdata", "cards")

// sealKey is a fixed Ed25519 key for test seals.
var sealKey = ed25519.NewKeyFromSeed([]byte("permitdesk-test-seal-seed-32byte"))

// sampleData loads testdata/cards/sample-card.json with the 12 KB photo and
// a valid seal.
func sampleData(t testing.TB) permitcard.CardData {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "sample-card.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d permitcard.CardData
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Photo, err = os.ReadFile(filepath.Join(testdata, "photo-12k.jpg")); err != nil {
		t.Fatal(err)
	}
	if d.Seal, err = permitcard.SignSeal("test-seal-1", sealKey, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func loadKey(t testing.TB, name string) keys.Provider {
	t.Helper()
	k, err := keys.LoadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rig is an emulator and an encoder on one transport.
type rig struct {
	sim    *simcard.Emulator
	enc    *permitcard.Encoder
	reader apdu.CardReader
}

// newDirectRig wires the encoder straight to the emulator.
func newDirectRig(t testing.TB, so simcard.Options, eo permitcard.Options) rig {
	t.Helper()
	sim, err := simcard.New(so)
	if err != nil {
		t.Fatal(err)
	}
	eo.Reader = simcard.Direct{E: sim}
	if eo.Keys == nil {
		eo.Keys = loadKey(t, "dev-master.key")
	}
	enc, err := permitcard.New(eo)
	if err != nil {
		t.Fatal(err)
	}
	return rig{sim: sim, enc: enc, reader: eo.Reader}
}

// newPCSCRig runs the emulator behind pcscd and vpcd and the encoder on
// the real PC/SC driver.
func newPCSCRig(t testing.TB, so simcard.Options, eo permitcard.Options) rig {
	t.Helper()
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	so.Addr = pcsctest.EncoderAddr
	sim, err := simcard.New(so)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sim.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := r.WaitRemoved(wctx); err != nil {
		t.Fatalf("a card from an earlier test is still in the reader: %v", err)
	}
	eo.Reader = r
	if eo.Keys == nil {
		eo.Keys = loadKey(t, "dev-master.key")
	}
	enc, err := permitcard.New(eo)
	if err != nil {
		t.Fatal(err)
	}
	return rig{sim: sim, enc: enc, reader: eo.Reader}
}

func (r rig) insertBlank(t testing.TB) permitcard.Serial {
	t.Helper()
	s, err := r.sim.InsertBlank()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitRemoved blocks until the emulator's card has left the field.
func (r rig) waitRemoved(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := r.sim.Status(); !ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("card was not removed within 20s")
}

// equalData compares what was written with what was read.
func equalData(t testing.TB, want, got permitcard.CardData) {
	t.Helper()
	w, _ := json.Marshal(want)
	g, _ := json.Marshal(got)
	if string(w) != string(g) {
		t.Fatalf("card data differ:\nwrote %s\nread  %s", truncate(w), truncate(g))
	}
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// rawExchanger returns an Exchanger on a fresh PC/SC connection.
func rawExchanger(t testing.TB, opts apdu.ExchangeOptions) *apdu.Exchanger {
	t.Helper()
	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	c, err := r.Connect(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return apdu.NewExchanger(c, opts)
}
