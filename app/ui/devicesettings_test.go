package ui

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial/enumerator"

	"permitdesk/app/cli"
	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/overrides"
	"permitdesk/app/store"
	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/registry"
)

// readerList is a registry.ReaderLister over a fixed list of readers,
// safe to call from the registry's scan goroutines.
type readerList struct {
	mu    sync.Mutex
	names []string
}

func (l *readerList) List(context.Context) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.names...), nil
}

// discoverFunc is a DeviceFinder over a function.
type discoverFunc func(ctx context.Context) registry.Found

func (f discoverFunc) Discover(ctx context.Context) registry.Found { return f(ctx) }

// deviceFixture is a window over a real registry, overrides service and
// operators, with a supervisor, a technician and a clerk.
type deviceFixture struct {
	dir     string
	db      *sql.DB
	ops     *operators.Service
	readers *readerList
	reg     *registry.Registry
	live    *liveDevices
	file    config.Devices
	app     *App
	// reconfigure is false for a window that applies changes at the next
	// start only.
	reconfigure bool
}

func fileConfig() config.Config {
	cfg := config.Default()
	cfg.Devices.Encoder.Name = "Virtual PCD 00 00"
	cfg.Devices.Printer.Port = "/dev/permitdesk-no-such-port"
	return cfg
}

func newDeviceFixture(t *testing.T, reconfigure bool) *deviceFixture {
	t.Helper()
	f := &deviceFixture{dir: t.TempDir(), reconfigure: reconfigure,
		readers: &readerList{names: []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}}}
	f.open(t)
	ctx := context.Background()
	for _, op := range []operators.NewOperator{
		{Login: "boss", Name: "主管", Role: operators.Supervisor, Password: "supervisor-pw"},
		{Login: "tech1", Name: "王五", Role: operators.Technician, Password: "technician-pw"},
		{Login: "clerk1", Name: "李四", Role: operators.Clerk, Password: "clerk-password"},
	} {
		var by *operators.Session
		if op.Role != operators.Supervisor {
			var err error
			if by, err = f.ops.Login(ctx, "boss", "supervisor-pw"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.ops.Add(ctx, by, op); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// open builds the window over the database in f.dir, as newDesktop does:
// the file's devices with the stored overrides on top.
func (f *deviceFixture) open(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenMigrated(ctx, f.dir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	f.ops = operators.New(db, operators.Options{Hash: operators.HashParams{Memory: 1024, Time: 1, Threads: 1}})
	ovr := overrides.New(db, overrides.Options{})
	list, err := ovr.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fileConfig()
	f.file = cfg.Devices
	cfg.Devices = overrides.Apply(f.file, list)

	specs, err := cli.DeviceSpecs(cfg.Devices)
	if err != nil {
		t.Fatal(err)
	}
	bus := hidio.NewEmulator()
	f.reg, err = registry.New(registry.Options{Devices: specs, PCSC: f.readers, HID: bus})
	if err != nil {
		t.Fatal(err)
	}
	f.live = newLiveDevices(cfg, f.reg, func(config.Config) Diagnoser { return nil }, logging.Discard())
	finder := discoverFunc(func(ctx context.Context) registry.Found {
		return registry.Discover(ctx, registry.DiscoverOptions{PCSC: f.readers, HID: bus,
			SerialPorts: func() ([]*enumerator.PortDetails, error) {
				return []*enumerator.PortDetails{{Name: "/dev/ttyUSB0", IsUSB: true, SerialNumber: "FT0001"}}, nil
			}})
	})
	setup := &DeviceSetup{File: f.file, Overrides: ovr, Finder: finder}
	if f.reconfigure {
		setup.Reconfigure = f.live
	}
	f.app = NewApp(Options{Config: cfg, Operators: f.ops, Devices: f.live.status, DeviceSetup: setup})
	f.app.startup(ctx, (&recorder{}).emit)
	f.reg.Scan(ctx)
}

func (f *deviceFixture) login(t *testing.T, login, password string) {
	t.Helper()
	if _, err := f.app.Login(login, password); err != nil {
		t.Fatal(err)
	}
}

func findSlot(t *testing.T, v DeviceSettingsView, slot string) DeviceSlotView {
	t.Helper()
	for _, s := range v.Slots {
		if s.Slot == slot {
			return s
		}
	}
	t.Fatalf("no slot %s in %+v", slot, v.Slots)
	return DeviceSlotView{}
}

// waitDevice waits until the status bar shows device id at name in state.
func waitDevice(t *testing.T, app *App, id, name string, state devices.State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var last DeviceStatus
	for time.Now().Before(deadline) {
		for _, d := range app.StatusSnapshot().Devices {
			if d.ID == id {
				last = d
			}
		}
		if last.Name == name && last.State == string(state) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s is %s at %q (%s), want %s at %q", id, last.State, last.Name, last.Detail, state, name)
}

var nextReader = DeviceChoice{Transport: "pcsc", Reader: "Virtual PCD 00 01"}

func TestAssignDeviceRoles(t *testing.T) {
	f := newDeviceFixture(t, true)
	if _, err := f.app.AssignDevice("encoder", nextReader); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("without login: %v, want %s", err, CodeNotLoggedIn)
	}
	if _, err := f.app.FoundDevices(); errorCode(err) != CodeNotLoggedIn {
		t.Errorf("FoundDevices without login: %v, want %s", err, CodeNotLoggedIn)
	}

	f.login(t, "clerk1", "clerk-password")
	if _, err := f.app.AssignDevice("encoder", nextReader); errorCode(err) != CodeForbidden {
		t.Errorf("clerk: %v, want %s", err, CodeForbidden)
	}
	if _, err := f.app.ClearDeviceOverride("encoder"); errorCode(err) != CodeForbidden {
		t.Errorf("clerk clearing: %v, want %s", err, CodeForbidden)
	}
	if _, err := f.app.FoundDevices(); errorCode(err) != CodeForbidden {
		t.Errorf("clerk listing: %v, want %s", err, CodeForbidden)
	}
	v, err := f.app.DeviceSettings()
	if err != nil {
		t.Fatal(err)
	}
	if s := findSlot(t, v, "encoder"); s.Override != "" {
		t.Errorf("a clerk's refused assignment was stored: %+v", s)
	}

	for _, who := range [][2]string{{"tech1", "technician-pw"}, {"boss", "supervisor-pw"}} {
		f.login(t, who[0], who[1])
		v, err := f.app.AssignDevice("encoder", nextReader)
		if err != nil {
			t.Fatalf("%s: %v", who[0], err)
		}
		if s := findSlot(t, v, "encoder"); s.SetBy != who[0] {
			t.Errorf("set by %q, want %s", s.SetBy, who[0])
		}
	}
}

func TestAssignDeviceValidates(t *testing.T) {
	f := newDeviceFixture(t, true)
	f.login(t, "tech1", "technician-pw")
	cases := []struct {
		name   string
		slot   string
		choice DeviceChoice
		code   string
		errHas string
	}{
		{"reader not found", "psam", DeviceChoice{Transport: "pcsc", Reader: "ACS ACR39U"}, CodeNotFound,
			`"ACS ACR39U" is not among the readers found now`},
		{"port not found", "printer", DeviceChoice{Transport: "serial", Port: "/dev/ttyUSB5"}, CodeNotFound,
			"/dev/ttyUSB5"},
		{"reader for the printer", "printer", nextReader, CodeInvalidArgument, "takes a serial port"},
		{"unknown slot", "fax", nextReader, CodeInvalidArgument, "unknown device slot"},
		{"HID device not found", "scanner", DeviceChoice{Transport: "hid", VendorID: "05e0", ProductID: "1200"},
			CodeNotFound, "05e0:1200"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.app.AssignDevice(c.slot, c.choice)
			if errorCode(err) != c.code {
				t.Fatalf("error %v, want code %s", err, c.code)
			}
			if !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("message %q does not contain %q", err, c.errHas)
			}
		})
	}
}

func TestAssignDeviceAppliesLive(t *testing.T) {
	f := newDeviceFixture(t, true)
	waitDevice(t, f.app, "encoder", "Virtual PCD 00 00", devices.StateReady)
	f.login(t, "tech1", "technician-pw")

	found, err := f.app.FoundDevices()
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Readers) != 2 || len(found.SerialPorts) != 1 || found.SerialPorts[0].SerialNumber != "FT0001" {
		t.Errorf("found %+v", found)
	}

	v, err := f.app.AssignDevice("encoder", nextReader)
	if err != nil {
		t.Fatal(err)
	}
	s := findSlot(t, v, "encoder")
	if s.File != "reader Virtual PCD 00 00" || s.Override != "reader Virtual PCD 00 01" ||
		s.Current.Reader != "Virtual PCD 00 01" {
		t.Errorf("encoder slot %+v", s)
	}
	// Without a desk reader the address rewrite uses the encoder's reader,
	// which it opens at start.
	if strings.Join(v.RestartNeeded, ",") != "encoder" || v.Problem != "" {
		t.Errorf("restart %q problem %q, want [encoder] and no problem", v.RestartNeeded, v.Problem)
	}
	waitDevice(t, f.app, "encoder", "Virtual PCD 00 01", devices.StateReady)

	v, err = f.app.AssignDevice("printer", DeviceChoice{Transport: "serial", Port: "/dev/ttyUSB0"})
	if err != nil {
		t.Fatal(err)
	}
	if p := findSlot(t, v, "printer"); p.Override != "USB serial number FT0001" || p.Current.USBSerial != "FT0001" {
		t.Errorf("printer slot %+v", p)
	}
	if got := f.live.config().Devices.Printer.USBSerial; got != "FT0001" {
		t.Errorf("the window's printer is %q, want FT0001", got)
	}
	// This window started without a card job runner, as one without a
	// printer does.
	if got := strings.Join(v.RestartNeeded, ","); got != "encoder,printer" {
		t.Errorf("restart needed %q, want encoder,printer", got)
	}

	v, err = f.app.ClearDeviceOverride("encoder")
	if err != nil {
		t.Fatal(err)
	}
	if s := findSlot(t, v, "encoder"); s.Override != "" || s.Current.Reader != "Virtual PCD 00 00" {
		t.Errorf("encoder after Clear %+v", s)
	}
	if got := strings.Join(v.RestartNeeded, ","); got != "printer" {
		t.Errorf("restart needed %q after restoring the encoder, want printer", got)
	}
	waitDevice(t, f.app, "encoder", "Virtual PCD 00 00", devices.StateReady)
}

func TestAssignDeviceNextStart(t *testing.T) {
	f := newDeviceFixture(t, false)
	f.login(t, "boss", "supervisor-pw")
	v, err := f.app.AssignDevice("encoder", nextReader)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.RestartNeeded) != 1 || v.RestartNeeded[0] != "encoder" {
		t.Errorf("restart needed %q, want [encoder]", v.RestartNeeded)
	}
	waitDevice(t, f.app, "encoder", "Virtual PCD 00 00", devices.StateReady)

	// The next start uses the stored override.
	f.open(t)
	waitDevice(t, f.app, "encoder", "Virtual PCD 00 01", devices.StateReady)
	v, err = f.app.DeviceSettings()
	if err != nil {
		t.Fatal(err)
	}
	if s := findSlot(t, v, "encoder"); s.Override != "reader Virtual PCD 00 01" || s.SetBy != "boss" {
		t.Errorf("encoder after reopening %+v", s)
	}
	if len(v.RestartNeeded) != 0 {
		t.Errorf("restart needed %q after the restart", v.RestartNeeded)
	}
}

func TestDeviceSettingsShowsFile(t *testing.T) {
	f := newDeviceFixture(t, true)
	v, err := f.app.DeviceSettings()
	if err != nil {
		t.Fatal(err)
	}
	if !v.Assignable || len(v.Slots) != len(overrides.Slots) {
		t.Fatalf("view %+v", v)
	}
	want := map[string]string{"encoder": "reader Virtual PCD 00 00", "printer": "port /dev/permitdesk-no-such-port",
		"psam": "", "scanner": ""}
	for slot, file := range want {
		if s := findSlot(t, v, slot); s.File != file || s.Override != "" {
			t.Errorf("%s: file %q override %q, want file %q", slot, s.File, s.Override, file)
		}
	}
	if s := findSlot(t, v, "idreader"); strings.Join(s.Transports, ",") != "serial,hid" {
		t.Errorf("idreader transports %q", s.Transports)
	}
}

func TestDeviceSettingsWithoutSetup(t *testing.T) {
	app := NewApp(Options{Config: fileConfig()})
	v, err := app.DeviceSettings()
	if err != nil {
		t.Fatal(err)
	}
	if v.Assignable {
		t.Error("a window without device setup must not offer assignment")
	}
	if s := findSlot(t, v, "encoder"); s.File != "reader Virtual PCD 00 00" {
		t.Errorf("encoder %+v", s)
	}
}

func TestRestartSlots(t *testing.T) {
	start := fileConfig().Devices
	start.Rewriter.Port = "/dev/ttyS0"
	cases := []struct {
		name      string
		change    func(d *config.Devices)
		hasRunner bool
		want      string
	}{
		{"nothing", func(*config.Devices) {}, true, ""},
		{"encoder as the rewrite's reader", func(d *config.Devices) { d.Encoder.Name = "Virtual PCD 00 01" }, true,
			"encoder"},
		{"encoder beside a desk reader", func(d *config.Devices) {
			d.DeskReader.Name = "Desk"
			d.Encoder.Name = "Virtual PCD 00 01"
		}, true, "desk_reader"},
		{"psam", func(d *config.Devices) { d.PSAM.Name = "Virtual PCD 00 01" }, true, "psam"},
		{"rewriter", func(d *config.Devices) { d.Rewriter.Port, d.Rewriter.USBSerial = "", "FT0001" }, true,
			"rewriter"},
		{"printer with a runner", func(d *config.Devices) { d.Printer.Port = "/dev/ttyUSB0" }, true, ""},
		{"printer without a runner", func(d *config.Devices) { d.Printer.Port = "/dev/ttyUSB0" }, false, "printer"},
		{"ID card reader and scanner", func(d *config.Devices) {
			d.IDReader.Port = "/dev/ttyUSB3"
			d.Scanner = config.HIDDevice{VendorID: "05e0", ProductID: "1200"}
		}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := start
			c.change(&next)
			if got := strings.Join(restartSlots(start, next, c.hasRunner), ","); got != c.want {
				t.Errorf("restart slots %q, want %q", got, c.want)
			}
		})
	}
}
