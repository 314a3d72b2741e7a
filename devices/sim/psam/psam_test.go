package psam_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/sim/psam"
)

func TestPSAMOverPCSC(t *testing.T) {
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.PSAMAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := psam.New(psam.Options{Addr: pcsctest.PSAMAddr})
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(rctx) }()
	defer func() { stop(); <-done }()

	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.PSAMReader, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	card, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()

	x := apdu.NewExchanger(card, apdu.ExchangeOptions{})
	_, err = x.Run(ctx, keys.PSAMCipher(make([]byte, 8)))
	var se *apdu.StatusError
	if !errors.As(err, &se) || se.SW != apdu.SWConditionsNotMet {
		t.Fatalf("CIPHER before SELECT and DIVERSIFY INIT: %v, want 6985", err)
	}

	p, err := keys.NewPSAM(ctx, keys.PSAMOptions{Card: card})
	if err != nil {
		t.Fatal(err)
	}
	factor := []byte("PD123456")
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	got, err := p.Cryptogram(ctx, factor, challenge)
	if err != nil {
		t.Fatal(err)
	}
	want, err := keys.NewFile(keys.DevMasterKey).Cryptogram(ctx, factor, challenge)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("PSAM cryptogram %X, key file cryptogram %X", got, want)
	}
}
