package pcsc_test

import (
	"context"
	"testing"
	"time"

	"permitdesk/devices/apdu"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	simcard "permitdesk/devices/sim/card"
)

// startEmulator runs a card emulator on the encoder reader for one test.
func startEmulator(t *testing.T, opts simcard.Options) *simcard.Emulator {
	t.Helper()
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	opts.Addr = pcsctest.EncoderAddr
	e, err := simcard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func openReader(t *testing.T) *pcsc.Reader {
	t.Helper()
	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.WaitRemoved(ctx); err != nil {
		t.Fatalf("a card from an earlier test is still in the reader: %v", err)
	}
	return r
}

func TestConnectSelect(t *testing.T) {
	e := startEmulator(t, simcard.Options{})
	if _, err := e.InsertBlank(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("ATR %X protocol %s", c.ATR(), c.Protocol())
	x := apdu.NewExchanger(c, apdu.ExchangeOptions{})
	start := time.Now()
	data, err := x.Run(ctx, apdu.SelectAID([]byte{0xF0, 0x50}, apdu.SelectFCP))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FCP %X in %s", data, time.Since(start))
}

func TestReaderConformance(t *testing.T) {
	pcsctest.RunReaderConformance(t, func(t *testing.T) pcsctest.Harness {
		e := startEmulator(t, simcard.Options{})
		return pcsctest.Harness{Reader: openReader(t), Sim: e}
	})
}
