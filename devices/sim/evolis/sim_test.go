package evolissim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
)

// fakeCardControl is a unix-socket server speaking the card emulator's
// control protocol; it records each request line.
type fakeCardControl struct {
	mu    sync.Mutex
	lines []string
	next  int
}

func (f *fakeCardControl) serve(t *testing.T, path string) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(conn).ReadString('\n')
			f.mu.Lock()
			f.lines = append(f.lines, strings.TrimSpace(line))
			reply := "ok"
			if strings.HasPrefix(line, "insert") {
				f.next++
				reply = fmt.Sprintf("ok CARD%04d", f.next)
			}
			f.mu.Unlock()
			fmt.Fprintln(conn, reply)
			conn.Close()
		}
	}()
}

func (f *fakeCardControl) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func startSim(t *testing.T, opts Options) (*Sim, *serialport.Port) {
	t.Helper()
	opts.Link = filepath.Join(t.TempDir(), "printer")
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() { cancel(); s.Wait() })
	port, err := serialport.Open(serialport.Options{Path: s.Path()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	return s, port
}

// roundTrip writes raw bytes and reads one CR-terminated reply.
func roundTrip(t *testing.T, port *serialport.Port, raw []byte) string {
	t.Helper()
	if _, err := serialport.WriteFull(port, raw); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 64)
	for !strings.HasSuffix(string(got), "\r") {
		n, err := serialport.ReadSome(port, buf, 2*time.Second)
		if err != nil {
			t.Fatalf("reply to %q so far %q: %v", raw, got, err)
		}
		got = append(got, buf[:n]...)
	}
	return strings.TrimSuffix(string(got), "\r")
}

func TestSicInsertsAndEjectRemoves(t *testing.T) {
	var cc fakeCardControl
	sock := filepath.Join(t.TempDir(), "card.sock")
	cc.serve(t, sock)
	_, port := startSim(t, Options{Slot: SocketSlot{Path: sock}})
	for _, cmd := range []string{"Sic", "Ser"} {
		if got := roundTrip(t, port, evolis.Frame(cmd)); got != "OK" {
			t.Fatalf("%s replied %q", cmd, got)
		}
	}
	want := []string{"insert blank", "remove"}
	if got := cc.requests(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("card control requests = %q, want %q", got, want)
	}
}

func TestParserMalformedInput(t *testing.T) {
	_, port := startSim(t, Options{})
	panel := make([]byte, evolis.PanelBytes)
	panel[5] = evolis.CR // payload bytes equal to CR and ESC must not end the frame
	panel[9] = evolis.ESC
	dbc, _ := evolis.CompressedFrame('k', panel)
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"leading NULs", append([]byte{0, 0, 0}, evolis.Frame("Rsn")...), "EMU00001"},
		{"restart after ESC", append([]byte("\x1bRs"), evolis.Frame("Rfv")...), "1.0.0"},
		{"unknown", evolis.Frame("Qq"), "ERROR CDE"},
		{"download outside sequence", dbc, "ERROR PARAMETRES"},
		{"bad compressed length", []byte("\x1bDbc;k;2;3;\x05ab\r"), "ERROR PARAMETRES"},
		{"missing CR after payload", []byte("\x1bDbc;k;2;1;\x00X"), "ERROR PARAMETRES"},
		{"serial settings", evolis.Frame("Pcom", "1", "115200", "N", "8", "1"), "OK"},
		{"serial settings read back", evolis.Frame("Rcom", "1"), "1;115200;N;8;1;NONE;E"},
		{"bad serial speed", evolis.Frame("Pcom", "1", "1234", "N", "8", "1"), "ERROR PARAMETRES"},
		{"bad serial protocol", evolis.Frame("Pcom", "2", "9600", "N", "8", "1", "MAYBE"), "ERROR PARAMETRES"},
		{"sequence", evolis.Frame("Ss"), "OK"},
		{"download with CR and ESC inside", dbc, "OK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := roundTrip(t, port, tc.raw); got != tc.want {
				t.Errorf("reply = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestControlCommands(t *testing.T) {
	s, port := startSim(t, Options{})
	for _, tc := range []struct{ line, want string }{
		{"cover open", "ok"},
		{"feeder 0", "ok"},
		{"late Se x", "err usage: late CMD MS"},
		{"explode", "err unknown"},
	} {
		if got := s.Control(tc.line); !strings.HasPrefix(got, tc.want) {
			t.Errorf("Control(%q) = %q, want %q...", tc.line, got, tc.want)
		}
	}
	if got := roundTrip(t, port, evolis.Frame("Rse", "o")); got != "0,00 Volts" {
		t.Errorf("cover sensor = %q, want 0,00 Volts", got)
	}
	if got := roundTrip(t, port, evolis.Frame("Sic")); got != "COVER OPEN" {
		t.Errorf("Sic with the cover open = %q", got)
	}
	s.Control("cover closed")
	if got := roundTrip(t, port, evolis.Frame("Sic")); got != "FEEDER EMPTY" {
		t.Errorf("Sic with the feeder empty = %q", got)
	}
}

func TestUnfinishedCommandDropped(t *testing.T) {
	_, port := startSim(t, Options{FrameIdle: 100 * time.Millisecond})
	if _, err := serialport.WriteFull(port, []byte("\x1bRs")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // longer than FrameIdle, so the emulator drops "Rs"
	if got := roundTrip(t, port, append([]byte("n\r"), evolis.Frame("Rfv")...)); got != "1.0.0" {
		t.Errorf("first reply after the silence = %q, want the firmware version", got)
	}
}

// FuzzParser feeds arbitrary bytes, split at an arbitrary point, and checks
// that every download frame carries exactly its declared payload.
func FuzzParser(f *testing.F) {
	dbc, _ := evolis.CompressedFrame('k', make([]byte, evolis.PanelBytes))
	f.Add(dbc, uint16(7))
	f.Add([]byte("\x00\x1bRsn\r\x1bDbc;k;2;3;\x05ab\r\x1bSs\r"), uint16(3))
	f.Add([]byte("\x1bDb;k;32;\r\x1bDbc;k;2;-1;\r"), uint16(0))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		var p parser
		split := int(cut) % (len(b) + 1)
		frames := p.feed(b[:split], nil)
		frames = p.feed(b[split:], frames)
		for _, fr := range frames {
			if fr.cmd == "Dbc" && fr.data != nil && fr.bad == "" {
				if n, err := strconv.Atoi(fr.params[2]); err != nil || n != len(fr.data) {
					t.Fatalf("Dbc declared %q bytes, carried %d", fr.params[2], len(fr.data))
				}
			}
			if fr.cmd == "Db" && fr.data != nil && len(fr.data) != evolis.PanelBytes {
				t.Fatalf("Db carried %d bytes, want %d", len(fr.data), evolis.PanelBytes)
			}
		}
	})
}

func TestControlHelpAndUsage(t *testing.T) {
	s, _ := startSim(t, Options{})
	for _, tc := range []struct{ line, want string }{
		{"help", "ok commands: status, ribbon-out CARD, replace-ribbon PANELS,"},
		{"replace-ribbon", "err usage: replace-ribbon PANELS (PANELS is missing)"},
		{"replace-ribbon many", `err usage: replace-ribbon PANELS (invalid PANELS "many": use a whole number)`},
		{"cover ajar", `err usage: cover open|closed (invalid value "ajar": use open|closed)`},
		{"clear-jam now", `err usage: clear-jam (unexpected argument "now")`},
		{"explode", `err unknown command "explode": commands: status,`},
	} {
		if got := s.Control(tc.line); !strings.HasPrefix(got, tc.want) {
			t.Errorf("Control(%q) = %q, want %q...", tc.line, got, tc.want)
		}
	}
	if got := s.Control("help"); !strings.HasSuffix(got, ", help") {
		t.Errorf("help = %q, want it to list help last", got)
	}
}

func TestControlRibbonOutPrintedCard(t *testing.T) {
	s, port := startSim(t, Options{})
	panel := make([]byte, evolis.PanelBytes)
	dbc, err := evolis.CompressedFrame('k', panel)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range [][]byte{evolis.Frame("Ss"), dbc, evolis.Frame("Se")} {
		if got := roundTrip(t, port, raw); got != "OK" {
			t.Fatalf("print step %q replied %q", raw[:4], got)
		}
	}
	if n := len(s.Printed()); n != 1 {
		t.Fatalf("printed %d cards, want 1", n)
	}

	want := "err ribbon-out 1: card 1 was already printed; the next card is 2"
	if got := s.Control("ribbon-out 1"); got != want {
		t.Errorf("ribbon-out 1 after card 1 printed = %q, want %q", got, want)
	}
	if got := s.Control("ribbon-out 2"); got != "ok" {
		t.Errorf("ribbon-out 2 = %q, want ok", got)
	}
}
