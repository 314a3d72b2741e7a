package idreader_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/ga467"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idcard"
	"permitdesk/devices/idreader"
	"permitdesk/devices/serialport"
	idreadersim "permitdesk/devices/sim/idreader"
)

func identities(t testing.TB) []idcard.Identity {
	t.Helper()
	ids, err := idreadersim.LoadIdentities("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// serialReader starts the emulator on a real pseudo-terminal and opens the
// driver on its link through go.bug.st/serial.
func serialReader(t testing.TB, timeout time.Duration) (*idreadersim.Emulator, *idreader.Reader) {
	t.Helper()
	emu, r, _ := serialReaderSim(t, timeout)
	return emu, r
}

func serialReaderSim(t testing.TB, timeout time.Duration) (*idreadersim.Emulator, *idreader.Reader, *idreadersim.Serial) {
	t.Helper()
	emu := idreadersim.NewEmulator(identities(t), nil)
	link := filepath.Join(t.TempDir(), "idreader")
	srv, err := idreadersim.NewSerial(emu, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	r, err := idreader.OpenSerial(serialport.Options{Path: link, Baud: 115200},
		idreader.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	return emu, r, srv
}

func hidReader(t testing.TB) (*idreadersim.Emulator, *hidio.Emulator, *idreader.Reader) {
	return hidReaderTimeout(t, time.Second)
}

func hidReaderTimeout(t testing.TB, timeout time.Duration) (*idreadersim.Emulator, *hidio.Emulator, *idreader.Reader) {
	t.Helper()
	emu := idreadersim.NewEmulator(identities(t), nil)
	bus := hidio.NewEmulator()
	ctx, cancel := context.WithCancel(context.Background())
	_, done, err := idreadersim.ServeHID(ctx, emu, bus, idreadersim.ReaderHIDInfo("emu/hid-1", "R1"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := idreader.OpenHID(bus, hidio.Filter{VendorID: 0x0400, ProductID: 0xc35a, Serial: "R1"},
		idreader.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		cancel()
		<-done
	})
	return emu, bus, r
}

func wantIdentity(t *testing.T, i int) idcard.Identity {
	id := identities(t)[i]
	id.EthnicityName, _ = idcard.EthnicityName(id.Ethnicity)
	return id
}

func TestSerialReadCard(t *testing.T) {
	emu, r := serialReader(t, 2*time.Second)
	ctx := context.Background()
	if err := emu.Place(1); err != nil {
		t.Fatal(err)
	}
	rec, err := r.Read(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Identity != wantIdentity(t, 1) {
		t.Errorf("identity\n got %+v\nwant %+v", rec.Identity, wantIdentity(t, 1))
	}
	if len(rec.Photo) != ga467.PhotoLen {
		t.Errorf("photo has %d bytes, want %d", len(rec.Photo), ga467.PhotoLen)
	}
}

func TestSerialReadFingerprint(t *testing.T) {
	emu, r := serialReader(t, 2*time.Second)
	ctx := context.Background()
	for _, c := range []struct{ card, fingerprint int }{{0, 1024}, {1, 0}} {
		if err := emu.Place(c.card); err != nil {
			t.Fatal(err)
		}
		rec, err := r.Read(ctx, true)
		if err != nil {
			t.Fatalf("card %d: %v", c.card, err)
		}
		if len(rec.Fingerprint) != c.fingerprint {
			t.Errorf("card %d: fingerprint has %d bytes, want %d", c.card, len(rec.Fingerprint), c.fingerprint)
		}
	}
}

func TestSerialSecondReadNeedsReplace(t *testing.T) {
	emu, r := serialReader(t, 2*time.Second)
	ctx := context.Background()
	emu.Place(0)
	if _, err := r.Read(ctx, false); err != nil {
		t.Fatal(err)
	}
	_, err := r.Read(ctx, false)
	if !errors.Is(err, devices.ErrNoCard) {
		t.Fatalf("second read: %v, want devices.ErrNoCard", err)
	}
	emu.Place(0)
	if _, err := r.Read(ctx, false); err != nil {
		t.Errorf("read after placing again: %v", err)
	}
}

func errCode(err error) devices.Code {
	var de *devices.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// transports opens the driver over each transport with the emulator behind.
var transports = map[string]func(t *testing.T, timeout time.Duration) (*idreadersim.Emulator, *idreader.Reader){
	"serial": func(t *testing.T, timeout time.Duration) (*idreadersim.Emulator, *idreader.Reader) {
		return serialReader(t, timeout)
	},
	"hid": func(t *testing.T, timeout time.Duration) (*idreadersim.Emulator, *idreader.Reader) {
		emu, _, r := hidReaderTimeout(t, timeout)
		return emu, r
	},
}

func TestFaultsEachTransport(t *testing.T) {
	cases := []struct {
		name     string
		fault    idreadersim.Fault
		times    int
		wantErr  error
		wantCode devices.Code
	}{
		{"checksum once is resent", idreadersim.FaultChecksum, 1, nil, ""},
		{"checksum persists", idreadersim.FaultChecksum, 0, ga467.ErrChecksum, idreader.CodeBadFrame},
		{"length persists", idreadersim.FaultLength, 0, ga467.ErrTruncated, idreader.CodeBadFrame},
		{"truncated persists", idreadersim.FaultTruncate, 0, ga467.ErrTruncated, idreader.CodeBadFrame},
		{"silent reader", idreadersim.FaultSilent, 0, devices.ErrTimeout, idreader.CodeTimeout},
		{"card removed after select", idreadersim.FaultRemoveAfterSelect, 0, devices.ErrCardRemoved, idreader.CodeCardRemoved},
		{"bad ID number", idreadersim.FaultBadIDNumber, 0, idcard.ErrInvalid, idreader.CodeBadField},
	}
	for _, tr := range []string{"serial", "hid"} {
		for _, c := range cases {
			t.Run(tr+"/"+c.name, func(t *testing.T) {
				testFault(t, transports[tr], c.fault, c.times, c.wantErr, c.wantCode)
			})
		}
	}
}

func testFault(t *testing.T, open func(*testing.T, time.Duration) (*idreadersim.Emulator, *idreader.Reader),
	fault idreadersim.Fault, times int, wantErr error, wantCode devices.Code) {
	emu, r := open(t, 300*time.Millisecond)
	emu.Place(2)
	emu.SetFault(fault, times)
	rec, err := r.Read(context.Background(), false)
	if wantErr == nil {
		if err != nil || rec.Identity.Number != identities(t)[2].Number {
			t.Fatalf("Read = %v, %v", rec.Identity.Number, err)
		}
		return
	}
	if !errors.Is(err, wantErr) {
		t.Fatalf("err = %v, want %v", err, wantErr)
	}
	if got := errCode(err); got != wantCode {
		t.Errorf("code = %q, want %q", got, wantCode)
	}
	if rec.Identity != (idcard.Identity{}) {
		t.Errorf("an identity was returned with the error: %+v", rec.Identity)
	}
}

func TestSerialBadFieldNamesValue(t *testing.T) {
	emu, r := serialReader(t, 2*time.Second)
	emu.Place(0)
	emu.SetFault(idreadersim.FaultBadIDNumber, 0)
	_, err := r.Read(context.Background(), false)
	var fe *idcard.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want an *idcard.FieldError", err)
	}
	if fe.Field != "idNumber" || fe.Value != "440304198503123710" {
		t.Errorf("field error = %+v", fe)
	}
}

func TestSerialNoCard(t *testing.T) {
	_, r := serialReader(t, 2*time.Second)
	_, err := r.Read(context.Background(), false)
	if !errors.Is(err, devices.ErrNoCard) || errCode(err) != idreader.CodeNoCard {
		t.Fatalf("err = %v, want devices.ErrNoCard with code no_card", err)
	}
}

func TestSerialWaitRead(t *testing.T) {
	emu, r := serialReader(t, 2*time.Second)
	go func() {
		for emu.Commands() < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		emu.Place(3)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := r.WaitRead(ctx, 20*time.Millisecond, false)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Identity.Number != identities(t)[3].Number {
		t.Errorf("read %s", rec.Identity.Number)
	}
}

func TestHIDReadCard(t *testing.T) {
	emu, _, r := hidReader(t)
	emu.Place(4)
	rec, err := r.Read(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Identity != wantIdentity(t, 4) {
		t.Errorf("identity %+v", rec.Identity)
	}
	if !rec.Identity.LongTerm {
		t.Error("long-term card not marked long-term")
	}
}

func TestHIDSequenceFaultResent(t *testing.T) {
	emu, _, r := hidReader(t)
	emu.Place(0)
	emu.SetFault(idreadersim.FaultSequence, 1)
	if _, err := r.Read(context.Background(), false); err != nil {
		t.Fatalf("read after one out-of-order response: %v", err)
	}
	emu.Place(0)
	emu.SetFault(idreadersim.FaultSequence, 0)
	_, err := r.Read(context.Background(), false)
	if !errors.Is(err, idreader.ErrReassembly) {
		t.Errorf("persistent sequence fault: %v, want ErrReassembly", err)
	}
}

func TestHIDUnplugged(t *testing.T) {
	emu, bus, r := hidReader(t)
	emu.Place(0)
	bus.Unplug("emu/hid-1")
	_, err := r.Read(context.Background(), false)
	if !errors.Is(err, devices.ErrNotConnected) || errCode(err) != idreader.CodeDisconnect {
		t.Errorf("err = %v, want devices.ErrNotConnected with code disconnected", err)
	}
}

func TestSAMStatusAndID(t *testing.T) {
	_, r := serialReader(t, 2*time.Second)
	ctx := context.Background()
	if err := r.Status(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := r.SAMID(ctx)
	if err != nil || len(id) != 32 {
		t.Errorf("SAMID = %q, %v", id, err)
	}
}

func TestSerialEmulatorGone(t *testing.T) {
	emu, r, srv := serialReaderSim(t, time.Second)
	emu.Place(0)
	srv.Close()
	_, err := r.Read(context.Background(), false)
	if !errors.Is(err, devices.ErrNotConnected) || errCode(err) != idreader.CodeDisconnect {
		t.Errorf("err = %v, want devices.ErrNotConnected with code disconnected", err)
	}
}
