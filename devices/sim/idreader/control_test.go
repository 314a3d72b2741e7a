package idreadersim

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/devices/idcard"
)

func testEmulator() *Emulator {
	return NewEmulator([]idcard.Identity{{Name: "陈志强", Number: "440304198503123716"}}, nil)
}

func TestCommandLines(t *testing.T) {
	e := testEmulator()
	var out bytes.Buffer
	e.ServeLines(strings.NewReader("place 0\nfault checksum 2\nstatus\nplace 7\nfault nope\nremove\nstatus\n"), &out)
	want := []string{
		"card 0 placed: 陈志强",
		`fault "checksum" set`,
		"card 0 (陈志强), fault checksum, 0 commands handled",
		"error: no card 7: choose 0 to 0",
		"error: unknown fault",
		"card removed",
		"card none, fault checksum, 0 commands handled",
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("replies:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("reply %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestControlSocket(t *testing.T) {
	e := testEmulator()
	path := filepath.Join(t.TempDir(), "ctl")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.ServeControl(ctx, path) }()
	var conn net.Conn
	var err error
	for range 200 {
		if conn, err = net.Dial("unix", path); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond) // the socket is not listening yet
	}
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("place 0\n"))
	buf := make([]byte, 128)
	n, _ := conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "card 0 placed") || e.Present() != 0 {
		t.Errorf("reply %q, present %d", buf[:n], e.Present())
	}
	conn.Close()
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestDamageFaults(t *testing.T) {
	frame := []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94}
	if got := Damage(frame, FaultChecksum); got[10] == frame[10] {
		t.Error("checksum not changed")
	}
	if got := Damage(frame, FaultLength); got[6] != 0x05 {
		t.Errorf("LEN = %02X", got[6])
	}
	if got := Damage(frame, FaultTruncate); len(got) != 5 {
		t.Errorf("truncated to %d bytes", len(got))
	}
	if got := Damage(frame, FaultSilent); got != nil {
		t.Error("silent fault sent bytes")
	}
	if got := Damage(frame, FaultNone); !bytes.Equal(got, frame) {
		t.Error("no fault changed the frame")
	}
}
