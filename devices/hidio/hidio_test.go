package hidio

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"permitdesk/devices"
)

func TestWriteBufferReportID(t *testing.T) {
	report := append([]byte{0x00}, bytes.Repeat([]byte{0x11}, 64)...)
	cases := []struct {
		goos    string
		report  []byte
		wantLen int
		wantErr bool
	}{
		{"linux", report, 65, false},
		{"darwin", report, 65, false},
		{"windows", report, 64, false},
		{"windows", append([]byte{0x02}, report[1:]...), 0, true},
		{"linux", []byte{0x00}, 0, true},
	}
	for _, c := range cases {
		buf, err := writeBuffer(c.goos, c.report)
		if (err != nil) != c.wantErr {
			t.Errorf("%s, ID %#02x: err = %v", c.goos, c.report[0], err)
			continue
		}
		if len(buf) != c.wantLen {
			t.Errorf("%s: buffer of %d bytes, want %d", c.goos, len(buf), c.wantLen)
		}
	}
}

func TestUSBEnumerateBuilds(t *testing.T) {
	if !(USB{}).Supported() {
		t.Skip("karalabe/hid built without cgo")
	}
	if _, err := (USB{}).Enumerate(0x0400, 0xc35a); err != nil {
		t.Errorf("Enumerate: %v", err)
	}
}

func plugged(t *testing.T) (*Emulator, *Endpoint, Device) {
	t.Helper()
	bus := NewEmulator()
	ep, err := bus.Plug(DeviceInfo{Path: "emu/1", VendorID: 0x0400, ProductID: 0xc35a, Serial: "A1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := bus.Open(ep.Info())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	return bus, ep, dev
}

func TestEmulatorRoundTrip(t *testing.T) {
	_, ep, dev := plugged(t)
	if err := dev.Write([]byte{0x00, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	out := <-ep.Output()
	if out.ID != 0 || !bytes.Equal(out.Data, []byte{1, 2, 3}) {
		t.Errorf("device got ID %d data % X", out.ID, out.Data)
	}
	if err := ep.Input([]byte{9, 8, 7}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := dev.Read(buf, time.Second)
	if err != nil || !bytes.Equal(buf[:n], []byte{9, 8, 7}) {
		t.Errorf("Read = % X, %v", buf[:n], err)
	}
}

func TestEmulatorReadTimeout(t *testing.T) {
	_, _, dev := plugged(t)
	_, err := dev.Read(make([]byte, 64), 10*time.Millisecond)
	if !errors.Is(err, devices.ErrTimeout) {
		t.Errorf("err = %v, want devices.ErrTimeout", err)
	}
}

func TestEmulatorOversizeReport(t *testing.T) {
	_, _, dev := plugged(t)
	if err := dev.Write(make([]byte, 66)); err == nil {
		t.Error("a 65-byte report after the ID was accepted on a 64-byte device")
	}
}

func TestEmulatorUnplugWakesRead(t *testing.T) {
	bus, ep, dev := plugged(t)
	done := make(chan error, 1)
	go func() {
		_, err := dev.Read(make([]byte, 64), time.Minute)
		done <- err
	}()
	bus.Unplug(ep.Info().Path)
	err := <-done
	if !errors.Is(err, ErrRemoved) || !errors.Is(err, devices.ErrNotConnected) {
		t.Errorf("err = %v, want ErrRemoved and devices.ErrNotConnected", err)
	}
	if err := dev.Write([]byte{0, 1}); !errors.Is(err, ErrRemoved) {
		t.Errorf("write after unplug: %v", err)
	}
	if list, _ := bus.Enumerate(0, 0); len(list) != 0 {
		t.Errorf("unplugged device still listed: %v", list)
	}
}

func TestEmulatorSecondOpenBusy(t *testing.T) {
	bus, ep, dev := plugged(t)
	if _, err := bus.Open(ep.Info()); !errors.Is(err, devices.ErrBusy) {
		t.Errorf("second open: %v, want devices.ErrBusy", err)
	}
	dev.Close()
	again, err := bus.Open(ep.Info())
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}

func TestMatchBySerial(t *testing.T) {
	list := []DeviceInfo{{Path: "a", Serial: "S1"}, {Path: "b", Serial: "S2"}}
	if got := Match(list, "S2"); len(got) != 1 || got[0].Path != "b" {
		t.Errorf("Match(S2) = %v", got)
	}
	if got := Match(list, ""); len(got) != 2 {
		t.Errorf("Match(\"\") = %v", got)
	}
}

func TestFindPinsSerial(t *testing.T) {
	bus := NewEmulator()
	for _, d := range []DeviceInfo{{Path: "p1", VendorID: 1, ProductID: 2, Serial: "S1"},
		{Path: "p2", VendorID: 1, ProductID: 2, Serial: "S2"}} {
		if _, err := bus.Plug(d, 0); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Find(bus, Filter{VendorID: 1, ProductID: 2, Serial: "S2"})
	if err != nil || got.Path != "p2" {
		t.Errorf("Find(S2) = %v, %v", got, err)
	}
	if _, err := Find(bus, Filter{VendorID: 1, ProductID: 2}); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("Find without serial: %v, want ErrAmbiguous", err)
	}
	if _, err := Find(bus, Filter{VendorID: 1, ProductID: 2, Serial: "S3"}); !errors.Is(err, devices.ErrNotConnected) {
		t.Errorf("Find(S3): %v, want devices.ErrNotConnected", err)
	}
}
