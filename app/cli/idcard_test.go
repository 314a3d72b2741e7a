package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/devices"
	"permitdesk/devices/ga467"
	"permitdesk/devices/registry"
	idreadersim "permitdesk/devices/sim/idreader"
)

// idReaderSim serves the reader emulator on a pseudo-terminal linked at
// link until the returned stop function is called.
func idReaderSim(t *testing.T, link string) (*idreadersim.Emulator, func()) {
	t.Helper()
	ids, err := idreadersim.LoadIdentities("../../testdata/idcards/identities.json")
	if err != nil {
		t.Fatal(err)
	}
	emu := idreadersim.NewEmulator(ids, nil)
	srv, err := idreadersim.NewSerial(emu, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("emulator: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return emu, stop
}

// runCLI runs one command line against a config file naming link as the
// ID card reader's port.
func runCLI(t *testing.T, dir, link string, args ...string) (string, error) {
	t.Helper()
	cfgPath := filepath.Join(dir, "permitdesk.toml")
	cfg := fmt.Sprintf("data_dir = %q\nlog_level = \"error\"\n[devices.idreader]\nport = %q\ntimeout = \"500ms\"\n"+
		"[devices.printer]\nport = %q\n", filepath.Join(dir, "data"), link, filepath.Join(dir, "no-printer"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(append([]string{"--config", cfgPath}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestIDCardReadJSON(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	emu, _ := idReaderSim(t, link)
	emu.Place(5)
	out, err := runCLI(t, dir, link, "idcard", "read", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rec ga467.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("output is not a record: %v\n%s", err, out)
	}
	if rec.Identity.Name != "刘思琪" || rec.Identity.Number != "44030920080417026X" || rec.Identity.EthnicityName != "满族" {
		t.Errorf("identity %+v", rec.Identity)
	}
	if len(rec.Photo) != ga467.PhotoLen {
		t.Errorf("photo has %d bytes", len(rec.Photo))
	}
}

func TestIDCardReadMalformedFrame(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	emu, _ := idReaderSim(t, link)
	emu.Place(0)
	emu.SetFault(idreadersim.FaultChecksum, 0)
	out, err := runCLI(t, dir, link, "idcard", "read", "--json")
	var exit *ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("err = %v, want an *ExitError", err)
	}
	for _, want := range []string{"[bad_frame]", "malformed GA 467 frame", "CHK is", "check the cable"} {
		if !strings.Contains(exit.Message, want) {
			t.Errorf("message %q lacks %q", exit.Message, want)
		}
	}
	if out != "" {
		t.Errorf("something was printed: %q", out)
	}
}

func devicesJSON(t *testing.T, dir, link string) map[string]registry.Status {
	t.Helper()
	out, err := runCLI(t, dir, link, "devices", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []registry.Status
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	byName := map[string]registry.Status{}
	for _, st := range list {
		byName[st.Name] = st
	}
	return byName
}

func TestDevicesFollowEmulator(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	_, stop := idReaderSim(t, link)
	got := devicesJSON(t, dir, link)
	if len(got) != 2 {
		t.Fatalf("listed %d devices, want the ID reader and the printer: %v", len(got), got)
	}
	if st := got["idreader"]; st.State != devices.StateReady || st.Kind != devices.KindIDReader {
		t.Errorf("idreader %+v", st)
	}
	if st := got["printer"]; st.State != devices.StateAbsent || !strings.Contains(st.Reason, "no-printer") {
		t.Errorf("printer %+v", st)
	}

	stop()
	if st := devicesJSON(t, dir, link)["idreader"]; st.State != devices.StateAbsent {
		t.Errorf("after the emulator stopped: %+v", st)
	}
	idReaderSim(t, link)
	if st := devicesJSON(t, dir, link)["idreader"]; st.State != devices.StateReady {
		t.Errorf("after the emulator started again: %+v", st)
	}
}

func TestDevicesSilentReaderIsError(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	emu, _ := idReaderSim(t, link)
	emu.SetFault(idreadersim.FaultSilent, 0)
	st := devicesJSON(t, dir, link)["idreader"]
	if st.State != devices.StateError || !strings.Contains(st.Reason, "status") {
		t.Errorf("a port with a silent reader: %+v", st)
	}
}

func TestIDCardReadTextExpired(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	emu, _ := idReaderSim(t, link)
	emu.Place(3)
	out, err := runCLI(t, dir, link, "idcard", "read")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name:         王丽娟", "ethnicity:    回族 (03)", "2015-09-09 to 2025-09-09 (expired)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestIDCardWaitNoCard(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	idReaderSim(t, link)
	cfgPath := filepath.Join(dir, "permitdesk.toml")
	cfg := fmt.Sprintf("data_dir = %q\nlog_level = \"debug\"\n[devices.idreader]\nport = %q\ntimeout = \"500ms\"\n",
		filepath.Join(dir, "data"), link)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs([]string{"--config", cfgPath, "--log-level", "warn", "idcard", "read", "--wait", "1s"})
	err := root.ExecuteContext(context.Background())

	var exit *ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("err = %v, want an *ExitError", err)
	}
	want := "idcard read: no ID card on the reader after 1s: place the card on the reader"
	if exit.Message != want {
		t.Errorf("message %q, want %q", exit.Message, want)
	}
	if strings.Contains(exit.Message, "did not answer") {
		t.Errorf("message %q blames the reader, which answered", exit.Message)
	}
	if strings.Contains(errOut.String(), "ID card read failed") {
		t.Errorf("stderr repeats the error as a log line: %q", errOut.String())
	}
}
