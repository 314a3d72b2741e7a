package card_test

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/devices/apdu"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

func TestControlProtocol(t *testing.T) {
	e, err := simcard.New(simcard.Options{Hopper: 1})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "card.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.ServeControl(ctx, sock) }()
	t.Cleanup(func() { cancel(); <-done })

	var conn net.Conn
	for range 100 {
		if conn, err = net.Dial("unix", sock); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	send := func(line string) string {
		t.Helper()
		if _, err := conn.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		reply, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(reply)
	}

	if got := send("status"); got != "ok empty" {
		t.Fatalf("status on an empty reader: %q", got)
	}
	inserted := send("insert blank")
	serial, ok := strings.CutPrefix(inserted, "ok ")
	if !ok || len(serial) != 16 {
		t.Fatalf("insert blank: %q, want ok and a 16-digit serial", inserted)
	}
	if got := send("status"); got != "ok present "+serial {
		t.Fatalf("status: %q, want ok present %s", got, serial)
	}
	if got := send("insert blank"); !strings.HasPrefix(got, "err ") || !strings.Contains(got, serial) {
		t.Fatalf("insert into a full reader: %q, want an error naming %s", got, serial)
	}
	if got := send("remove"); got != "ok" {
		t.Fatalf("remove: %q", got)
	}
	if got := send("insert blank"); !strings.HasPrefix(got, "err ") || !strings.Contains(got, "hopper empty") {
		t.Fatalf("insert from an empty hopper: %q", got)
	}
	if got := send("insert " + serial); got != "ok "+serial {
		t.Fatalf("insert %s again: %q", serial, got)
	}
	for _, bad := range []string{"insert 12", "fault tear x", "fly"} {
		if got := send(bad); !strings.HasPrefix(got, "err ") {
			t.Fatalf("%q: %q, want err", bad, got)
		}
	}
	if got := send("help"); got != "ok "+simcard.ControlHelp {
		t.Fatalf("help: %q, want ok and the command list", got)
	}
	if got := send("fly"); !strings.Contains(got, `unknown command "fly"`) || !strings.Contains(got, "insert blank") {
		t.Fatalf("fly: %q, want an error naming the command and listing the commands", got)
	}
	if got := send("fault remove-after 3"); got != "ok" {
		t.Fatalf("fault: %q", got)
	}
}

func TestStateDirKeepsIssuedCard(t *testing.T) {
	dir := t.TempDir()
	first, err := simcard.New(simcard.Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	serial, err := first.InsertBlank()
	if err != nil {
		t.Fatal(err)
	}
	card := connectDirect(t, first)
	run(t, card, apdu.SelectAID(permitcard.AID, apdu.SelectNoData))
	// An unauthenticated write is refused and changes nothing.
	if sw := run(t, card, apdu.UpdateBinarySFI(2, 0, []byte{0xE1, 0x00})); sw != apdu.SWSecurityStatus {
		t.Fatalf("write without authentication returned %s, want 6982", sw)
	}

	second, err := simcard.New(simcard.Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Insert(serial); err != nil {
		t.Fatalf("a restarted emulator cannot present card %s: %v", serial, err)
	}
	if err := second.Insert(permitcard.Serial{9}); err == nil {
		t.Fatal("second Insert into a full reader succeeded")
	}
	second.Remove()
	if err := second.Insert(permitcard.Serial{9}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("inserting an unknown card: %v, want not found", err)
	}
}

func connectDirect(t *testing.T, e *simcard.Emulator) apdu.Card {
	t.Helper()
	c, err := simcard.Direct{E: e}.ConnectCard(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, c apdu.Card, cmd apdu.Command) apdu.StatusWord {
	t.Helper()
	b, err := cmd.Bytes(false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Transmit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := apdu.ParseResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	return r.SW
}
