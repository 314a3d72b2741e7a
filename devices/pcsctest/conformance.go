package pcsctest

import (
	"context"
	"errors"
	"testing"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

// Harness is one apdu.CardReader under test and the card emulator that
// feeds it. Each call of the constructor returns a fresh emulator with no
// card present.
type Harness struct {
	Reader apdu.CardReader
	Sim    *simcard.Emulator
}

// RunReaderConformance checks the apdu.CardReader contract that the
// encoding service relies on. The PC/SC driver and every fake run it, so a
// fake cannot drift from the real driver.
func RunReaderConformance(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("connect without card times out", func(t *testing.T) {
		h := newHarness(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := h.Reader.ConnectCard(ctx)
		if !errors.Is(err, devices.ErrTimeout) {
			t.Fatalf("ConnectCard with no card: %v, want ErrTimeout", err)
		}
	})
	t.Run("transmit select", func(t *testing.T) {
		h := newHarness(t)
		c := connect(t, h)
		if len(c.ATR()) < 2 || c.ATR()[0] != 0x3B {
			t.Fatalf("ATR %X does not start with 3B", c.ATR())
		}
		rsp := transmit(t, c, apdu.SelectAID(permitcard.AID, apdu.SelectNoData))
		if len(rsp) != 2 || rsp[0] != 0x90 || rsp[1] != 0x00 {
			t.Fatalf("SELECT returned %X, want 9000", rsp)
		}
	})
	t.Run("transaction", func(t *testing.T) {
		h := newHarness(t)
		c := connect(t, h)
		if err := c.Begin(context.Background()); err != nil {
			t.Fatal(err)
		}
		transmit(t, c, apdu.SelectAID(permitcard.AID, apdu.SelectNoData))
		if err := c.End(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reconnect leaves the card as it is", func(t *testing.T) {
		// SCardReconnect with SCARD_LEAVE_CARD acknowledges a reset done by
		// another application; it does not reset the card itself.
		h := newHarness(t)
		c := connect(t, h)
		transmit(t, c, apdu.SelectAID(permitcard.AID, apdu.SelectNoData))
		if err := c.Reconnect(context.Background()); err != nil {
			t.Fatal(err)
		}
		rsp := transmit(t, c, apdu.SelectFID(permitcard.FIDHolder, apdu.SelectNoData))
		if len(rsp) != 2 || rsp[0] != 0x90 || rsp[1] != 0x00 {
			t.Fatalf("EF select after reconnect returned %X, want 9000 (DF still selected)", rsp)
		}
	})
	t.Run("transmit after removal", func(t *testing.T) {
		h := newHarness(t)
		c := connect(t, h)
		transmit(t, c, apdu.SelectAID(permitcard.AID, apdu.SelectNoData))
		h.Sim.Remove()
		cmd, _ := apdu.SelectAID(permitcard.AID, apdu.SelectNoData).Bytes(false)
		var err error
		for range 20 { // the reader may need one poll to notice
			if _, err = c.Transmit(context.Background(), cmd); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !errors.Is(err, devices.ErrCardRemoved) {
			t.Fatalf("Transmit after removal: %v, want ErrCardRemoved", err)
		}
	})
	t.Run("transmit with cancelled context", func(t *testing.T) {
		h := newHarness(t)
		c := connect(t, h)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		cmd, _ := apdu.GetChallenge(8).Bytes(false)
		if _, err := c.Transmit(ctx, cmd); err == nil {
			t.Fatal("Transmit with a cancelled context succeeded")
		}
	})
}

func connect(t *testing.T, h Harness) apdu.Card {
	t.Helper()
	if _, err := h.Sim.InsertBlank(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := h.Reader.ConnectCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func transmit(t *testing.T, c apdu.Card, cmd apdu.Command) []byte {
	t.Helper()
	b, err := cmd.Bytes(false)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := c.Transmit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return rsp
}
