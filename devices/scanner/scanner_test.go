package scanner_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/scanner"
	idreadersim "permitdesk/devices/sim/idreader"
)

func openScanner(t *testing.T) (*hidio.Emulator, *idreadersim.Scanner, *scanner.Scanner) {
	t.Helper()
	bus := hidio.NewEmulator()
	sim, err := idreadersim.PlugScanner(bus, idreadersim.ScannerHIDInfo("emu/scan-1", "SC1"))
	if err != nil {
		t.Fatal(err)
	}
	info := sim.Info()
	sc, err := scanner.Open(bus, hidio.Filter{VendorID: info.VendorID, ProductID: info.ProductID}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return bus, sim, sc
}

func next(t *testing.T, sc *scanner.Scanner) (scanner.Scan, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sc.Next(ctx)
}

func TestScannerShortAndLong(t *testing.T) {
	_, sim, sc := openScanner(t)
	cases := []struct {
		sym  string
		data string
	}{
		{"]C0", "SZ2026120400017"},
		{"]Q1", "https://permit.example/apply?id=" + strings.Repeat("0123456789", 20)},
		{"]Q1", strings.Repeat("x", 56)},
		{"]Q1", strings.Repeat("y", 57)},
	}
	for _, c := range cases {
		if err := sim.Scan(c.sym, []byte(c.data)); err != nil {
			t.Fatal(err)
		}
		got, err := next(t, sc)
		if err != nil {
			t.Fatal(err)
		}
		if got.Symbology != c.sym || string(got.Data) != c.data {
			t.Errorf("scan = %s %q, want %s %q", got.Symbology, got.Data, c.sym, c.data)
		}
	}
}

func TestScannerSkipsMalformed(t *testing.T) {
	_, sim, sc := openScanner(t)
	bad := make([]byte, 64)
	bad[0], bad[1] = scanner.ReportID, 57
	if err := sim.SendRaw(bad); err != nil {
		t.Fatal(err)
	}
	trigger := make([]byte, 8)
	trigger[0] = 0x04
	sim.SendRaw(trigger)
	sim.Scan("]C0", []byte("OK"))
	got, err := next(t, sc)
	if err != nil || string(got.Data) != "OK" {
		t.Errorf("scan after malformed report = %q, %v", got.Data, err)
	}
}

func TestScannerUnplugged(t *testing.T) {
	bus, sim, sc := openScanner(t)
	bus.Unplug(sim.Info().Path)
	_, err := next(t, sc)
	if !errors.Is(err, devices.ErrNotConnected) {
		t.Errorf("err = %v, want devices.ErrNotConnected", err)
	}
}

func TestScanText(t *testing.T) {
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("深圳市福田区"))
	for _, data := range [][]byte{[]byte("深圳市福田区"), gbk} {
		got, err := scanner.Scan{Data: data}.Text()
		if err != nil || got != "深圳市福田区" {
			t.Errorf("Text(% X) = %q, %v", data, got, err)
		}
	}
	if n := (scanner.Scan{Symbology: "]Q1"}).SymbologyName(); n != "QR Code" {
		t.Errorf("SymbologyName = %s", n)
	}
}

func TestEncodeReportsLayout(t *testing.T) {
	reports := scanner.EncodeReports("]Q1", bytes.Repeat([]byte{'a'}, 60))
	if len(reports) != 2 {
		t.Fatalf("%d reports, want 2", len(reports))
	}
	first, last := reports[0], reports[1]
	if first[0] != 0x02 || first[1] != 56 || string(first[2:5]) != "]Q1" || first[63] != 1 {
		t.Errorf("first report % X", first)
	}
	if last[1] != 4 || last[63] != 0 {
		t.Errorf("last report count %d, continued %d", last[1], last[63])
	}
}

func FuzzAssembler(f *testing.F) {
	f.Add(bytes.Join(scanner.EncodeReports("]Q1", []byte(strings.Repeat("z", 100))), nil))
	f.Fuzz(func(t *testing.T, stream []byte) {
		var a scanner.Assembler
		for len(stream) > 0 {
			n := min(len(stream), scanner.ReportSize)
			s, err := a.Add(stream[:n])
			stream = stream[n:]
			if err == nil && s != nil && len(s.Data) > scanner.MaxScanLen {
				t.Fatalf("scan of %d bytes exceeds %d", len(s.Data), scanner.MaxScanLen)
			}
		}
	})
}

func TestScannerCloseEndsNext(t *testing.T) {
	_, _, sc := openScanner(t)
	done := make(chan error, 1)
	go func() {
		_, err := sc.Next(context.Background())
		done <- err
	}()
	sc.Close()
	if err := <-done; !errors.Is(err, hidio.ErrClosed) {
		t.Errorf("Next after Close: %v, want hidio.ErrClosed", err)
	}
}
