package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/overrides"
	"permitdesk/app/store"
	"permitdesk/devices/registry"
)

func TestDevicesFoundListsEmulatorLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	idReaderSim(t, link)

	out, err := runCLI(t, dir, link, "devices", "--found", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var found registry.Found
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatalf("output is not a device list: %v\n%s", err, out)
	}
	port, ok := found.Port(link)
	if !ok {
		t.Fatalf("the emulator's link %s is not listed: %+v", link, found.SerialPorts)
	}
	if !strings.HasPrefix(port.Device, "/dev/pts/") {
		t.Errorf("link device %q, want a pseudo-terminal", port.Device)
	}
	if found.Readers == nil || found.HID == nil {
		t.Error("readers and HID devices must be lists, empty when none are found")
	}

	text, err := runCLI(t, dir, link, "devices", "--found")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PC/SC READERS", "SERIAL PORTS", "HID DEVICES", link} {
		if !strings.Contains(text, want) {
			t.Errorf("text listing does not contain %q:\n%s", want, text)
		}
	}
	if _, err := runCLI(t, dir, link, "devices", "--found", "--watch"); err == nil {
		t.Error("--found with --watch accepted")
	}
}

// assignPrinter stores an override of the printer's port in the database
// of data directory dataDir, as the Settings screen does.
func assignPrinter(t *testing.T, dataDir, port string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenMigrated(ctx, dataDir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ops := operators.New(db, operators.Options{Hash: operators.HashParams{Memory: 1024, Time: 1, Threads: 1}})
	if _, err := ops.Add(ctx, nil, operators.NewOperator{Login: "boss", Name: "boss", Role: operators.Supervisor,
		Password: "supervisor-pw"}); err != nil {
		t.Fatal(err)
	}
	boss, err := ops.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	found := registry.Found{SerialPorts: []registry.SerialPort{{Path: port}}}
	if _, err := overrides.New(db, overrides.Options{}).Assign(ctx, boss, overrides.SlotPrinter,
		overrides.Choice{Transport: registry.TransportSerial, Port: port}, found); err != nil {
		t.Fatal(err)
	}
}

func TestConfigAppliesStoredOverrides(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idreader")
	override := filepath.Join(dir, "printer-override")
	assignPrinter(t, filepath.Join(dir, "data"), override)

	out, err := runCLI(t, dir, link, "devices", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []registry.Status
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("output is not a status list: %v\n%s", err, out)
	}
	identities := map[string]string{}
	for _, st := range list {
		identities[st.Name] = st.Identity
	}
	if got := identities["printer"]; got != "serial "+override {
		t.Errorf("printer identity %q, want the override serial %s", got, override)
	}
	if got := identities["idreader"]; got != "serial "+link {
		t.Errorf("idreader identity %q, want the file's serial %s", got, link)
	}
}

func TestConfigWarnsOnUnusableOverride(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	db, err := store.OpenMigrated(context.Background(), dataDir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO settings (key, value) VALUES ('devices.override.printer', 'not json')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cfgPath := filepath.Join(dir, "permitdesk.toml")
	noPrinter := filepath.Join(dir, "no-printer")
	cfg := fmt.Sprintf("data_dir = %q\n[devices.printer]\nport = %q\n", dataDir, noPrinter)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	env := &Env{ConfigPath: cfgPath, Out: &bytes.Buffer{}, ErrOut: &errOut}
	defer env.Close()
	got, err := env.Config()
	if err != nil {
		t.Fatal(err)
	}
	if got.Devices.Printer.Port != noPrinter {
		t.Errorf("printer port %q, want the file's %s", got.Devices.Printer.Port, noPrinter)
	}
	if !strings.Contains(errOut.String(), "devices.override.printer") {
		t.Errorf("stderr %q does not name the unusable override", errOut.String())
	}
}
