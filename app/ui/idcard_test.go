package ui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/app/config"
	idreadersim "permitdesk/devices/sim/idreader"
)

// startIDReader serves the ID reader emulator on a pseudo-terminal and
// returns the emulator and the configuration naming its port.
func startIDReader(t *testing.T) (*idreadersim.Emulator, config.IDReader) {
	t.Helper()
	ids, err := idreadersim.LoadIdentities("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	emu := idreadersim.NewEmulator(ids, nil)
	link := filepath.Join(t.TempDir(), "idreader.tty")
	srv, err := idreadersim.NewSerial(emu, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	c := config.Default().Devices.IDReader
	c.Port = link
	c.Timeout = config.Duration{Duration: 500 * time.Millisecond}
	return emu, c
}

func TestReadIDCardFromEmulator(t *testing.T) {
	emu, cfg := startIDReader(t)
	ids, err := idreadersim.LoadIdentities("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	f := newQueueFixture(t)
	f.app.opts.IDCards = ConfigIDReader{Config: cfg}
	if _, err := f.app.ReadIDCard(); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("read without login = %v, want code %q", err, CodeNotLoggedIn)
	}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	if err := emu.Place(0); err != nil {
		t.Fatal(err)
	}
	got, err := f.app.ReadIDCard()
	if err != nil {
		t.Fatal(err)
	}
	if got.IDNumber != ids[0].Number || got.Name != ids[0].Name {
		t.Errorf("read %s %s, want %s %s", got.Name, got.IDNumber, ids[0].Name, ids[0].Number)
	}
	if got.BirthDate != ids[0].BirthDate.String() {
		t.Errorf("birth date %q, want %q", got.BirthDate, ids[0].BirthDate.String())
	}
}

func TestReadIdentityWithoutCard(t *testing.T) {
	_, cfg := startIDReader(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := (ConfigIDReader{Config: cfg}).ReadIdentity(ctx); err == nil {
		t.Fatal("read with no card on the reader succeeded")
	}
}

func TestReadIdentityNotConfigured(t *testing.T) {
	c := config.Default().Devices.IDReader
	_, err := ConfigIDReader{Config: c}.ReadIdentity(context.Background())
	if got := classify(err); got != CodeDeviceNotConfig {
		t.Errorf("code = %q (%v), want %q", got, err, CodeDeviceNotConfig)
	}
}
