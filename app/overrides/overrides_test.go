package overrides_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/overrides"
	"permitdesk/app/store"
	"permitdesk/devices/hidio"
	"permitdesk/devices/registry"
)

var ctx = context.Background()

// found is what a station with two virtual readers, a USB serial adapter,
// two adapters sharing a serial number, an emulator link and three HID
// interfaces lists.
var found = registry.Found{
	Readers: []string{"Virtual PCD 00 00", "Virtual PCD 00 01"},
	SerialPorts: []registry.SerialPort{
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyUSB0", USB: true, VendorID: "0403", ProductID: "6001", SerialNumber: "FT0001"},
		{Path: "/dev/ttyUSB1", USB: true, SerialNumber: "DUP"},
		{Path: "/dev/ttyUSB2", USB: true, SerialNumber: "DUP"},
		{Path: "/tmp/station/printer.tty", Device: "/dev/pts/4"},
	},
	HID: []hidio.DeviceInfo{
		{Path: "1-1:1.0", VendorID: 0x0400, ProductID: 0xc35a, Serial: "R1"},
		{Path: "1-2:1.0", VendorID: 0x0400, ProductID: 0xc35a, Serial: "R2"},
		{Path: "1-3:1.0", VendorID: 0x05e0, ProductID: 0x1200},
		{Path: "1-4:1.0", VendorID: 0x0c2e, ProductID: 0x0b61},
		{Path: "1-4:1.1", VendorID: 0x0c2e, ProductID: 0x0b61},
	},
}

func TestResolve(t *testing.T) {
	pcsc := func(name string) overrides.Choice {
		return overrides.Choice{Transport: registry.TransportPCSC, Reader: name}
	}
	port := func(path string) overrides.Choice {
		return overrides.Choice{Transport: registry.TransportSerial, Port: path}
	}
	hid := func(vid, pid, serial string) overrides.Choice {
		return overrides.Choice{Transport: registry.TransportHID, VendorID: vid, ProductID: pid, Serial: serial}
	}
	cases := []struct {
		name    string
		slot    overrides.Slot
		choice  overrides.Choice
		want    string // Override.String() when accepted
		wantErr error
		errHas  string
	}{
		{"reader", overrides.SlotEncoder, pcsc("Virtual PCD 00 01"), "reader Virtual PCD 00 01", nil, ""},
		{"reader absent", overrides.SlotPSAM, pcsc("ACS ACR1281"), "", overrides.ErrNotFound, `"ACS ACR1281"`},
		{"reader empty", overrides.SlotDeskReader, pcsc(""), "", overrides.ErrInvalid, "no PC/SC reader"},
		{"reader in serial slot", overrides.SlotPrinter, pcsc("Virtual PCD 00 00"), "", overrides.ErrInvalid,
			"the printer takes a serial port"},
		{"USB port pinned by serial number", overrides.SlotPrinter, port("/dev/ttyUSB0"),
			"USB serial number FT0001", nil, ""},
		{"shared serial number pinned by path", overrides.SlotRewriter, port("/dev/ttyUSB2"),
			"port /dev/ttyUSB2", nil, ""},
		{"plain port", overrides.SlotRewriter, port("/dev/ttyS0"), "port /dev/ttyS0", nil, ""},
		{"emulator link", overrides.SlotIDReader, port("/tmp/station/printer.tty"),
			"port /tmp/station/printer.tty", nil, ""},
		{"port absent", overrides.SlotPrinter, port("/dev/ttyUSB7"), "", overrides.ErrNotFound,
			"serial port /dev/ttyUSB7 is not among the ports found now"},
		{"port in PC/SC slot", overrides.SlotEncoder, port("/dev/ttyS0"), "", overrides.ErrInvalid,
			"the encoder takes a PC/SC reader"},
		{"HID ID reader", overrides.SlotIDReader, hid("0400", "C35A", "R2"), "HID 0400:c35a serial R2", nil, ""},
		{"HID scanner without serial", overrides.SlotScanner, hid("05e0", "1200", ""), "HID 05e0:1200", nil, ""},
		{"HID absent serial", overrides.SlotScanner, hid("0400", "c35a", "R3"), "", overrides.ErrNotFound,
			"0400:c35a serial R3"},
		{"HID ambiguous without serial", overrides.SlotScanner, hid("0400", "c35a", ""), "",
			overrides.ErrInvalid, "cannot tell them apart"},
		{"HID composite", overrides.SlotScanner, hid("0c2e", "0b61", ""), "", overrides.ErrInvalid, "1-4:1.1"},
		{"HID bad id", overrides.SlotScanner, hid("zz", "1200", ""), "", overrides.ErrInvalid, "hexadecimal"},
		{"HID in printer slot", overrides.SlotPrinter, hid("05e0", "1200", ""), "", overrides.ErrInvalid,
			"takes a serial port"},
		{"port for scanner", overrides.SlotScanner, port("/dev/ttyS0"), "", overrides.ErrInvalid,
			"takes a HID device"},
		{"unknown slot", "keyboard", port("/dev/ttyS0"), "", overrides.ErrInvalid, "unknown device slot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := overrides.Resolve(c.slot, c.choice, found)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("error %v, want %v", err, c.wantErr)
				}
				if !strings.Contains(err.Error(), c.errHas) {
					t.Errorf("error %q does not contain %q", err, c.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.String() != c.want {
				t.Errorf("override %q, want %q", o.String(), c.want)
			}
			if o.Slot != c.slot {
				t.Errorf("slot %q, want %q", o.Slot, c.slot)
			}
		})
	}
}

func TestResolveReaderNameInsideAnother(t *testing.T) {
	f := registry.Found{Readers: []string{"Reader", "Reader 2"}}
	_, err := overrides.Resolve(overrides.SlotEncoder, overrides.Choice{Transport: registry.TransportPCSC,
		Reader: "Reader"}, f)
	if !errors.Is(err, overrides.ErrInvalid) || !strings.Contains(err.Error(), `"Reader 2"`) {
		t.Errorf("error %v, want ErrInvalid naming the other reader", err)
	}
}

func TestResolveNamesListError(t *testing.T) {
	f := registry.Found{ReadersError: "connect to pcscd: SCARD_E_NO_SERVICE"}
	_, err := overrides.Resolve(overrides.SlotEncoder, overrides.Choice{Transport: registry.TransportPCSC,
		Reader: "Virtual PCD 00 00"}, f)
	if err == nil || !strings.Contains(err.Error(), "SCARD_E_NO_SERVICE") {
		t.Errorf("error %v does not give the reason the list is empty", err)
	}
}

func fileDevices() config.Devices {
	d := config.Default().Devices
	d.Encoder.Name = "Virtual PCD 00 00"
	d.Printer.Port = "/tmp/station/printer.tty"
	d.Rewriter.USBSerial = "FT0009"
	d.IDReader.Port = "/tmp/station/idreader.tty"
	return d
}

func TestApplyLayersOverFile(t *testing.T) {
	file := fileDevices()
	cases := []struct {
		name  string
		list  []overrides.Override
		check func(t *testing.T, d config.Devices)
	}{
		{"no overrides keeps the file", nil, func(t *testing.T, d config.Devices) {
			if !reflect.DeepEqual(d, file) {
				t.Errorf("devices changed: %+v", d)
			}
		}},
		{"reader", []overrides.Override{{Slot: overrides.SlotEncoder, Transport: registry.TransportPCSC,
			Reader: "Virtual PCD 00 01"}}, func(t *testing.T, d config.Devices) {
			if d.Encoder.Name != "Virtual PCD 00 01" || d.Encoder.MaxAPDU != file.Encoder.MaxAPDU {
				t.Errorf("encoder %+v", d.Encoder)
			}
		}},
		{"USB serial number replaces the path", []overrides.Override{{Slot: overrides.SlotPrinter,
			Transport: registry.TransportSerial, USBSerial: "FT0001"}}, func(t *testing.T, d config.Devices) {
			if d.Printer.Port != "" || d.Printer.USBSerial != "FT0001" || d.Printer.Baud != file.Printer.Baud {
				t.Errorf("printer %+v", d.Printer)
			}
		}},
		{"path replaces the USB serial number", []overrides.Override{{Slot: overrides.SlotRewriter,
			Transport: registry.TransportSerial, Port: "/dev/ttyS0"}}, func(t *testing.T, d config.Devices) {
			if d.Rewriter.Port != "/dev/ttyS0" || d.Rewriter.USBSerial != "" {
				t.Errorf("rewriter %+v", d.Rewriter)
			}
		}},
		{"ID reader moves to HID", []overrides.Override{{Slot: overrides.SlotIDReader,
			Transport: registry.TransportHID, VendorID: "0400", ProductID: "c35a", Serial: "R1"}},
			func(t *testing.T, d config.Devices) {
				if d.IDReader.Transport != "hid" || d.IDReader.HID.Serial != "R1" || d.IDReader.HID.VendorID != "0400" {
					t.Errorf("idreader %+v", d.IDReader)
				}
				if d.IDReader.Port != file.IDReader.Port {
					t.Errorf("the serial settings changed: %+v", d.IDReader.SerialDevice)
				}
			}},
		{"scanner", []overrides.Override{{Slot: overrides.SlotScanner, Transport: registry.TransportHID,
			VendorID: "05e0", ProductID: "1200"}}, func(t *testing.T, d config.Devices) {
			if d.Scanner != (config.HIDDevice{VendorID: "05e0", ProductID: "1200"}) {
				t.Errorf("scanner %+v", d.Scanner)
			}
		}},
		{"override that does not fit is skipped", []overrides.Override{{Slot: overrides.SlotPrinter,
			Transport: registry.TransportPCSC, Reader: "Virtual PCD 00 01"}}, func(t *testing.T, d config.Devices) {
			if !reflect.DeepEqual(d, file) {
				t.Errorf("devices changed: %+v", d)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, overrides.Apply(file, c.list))
		})
	}
}

func TestFileValue(t *testing.T) {
	file := fileDevices()
	file.Scanner = config.HIDDevice{VendorID: "05E0", ProductID: "1200"}
	cases := []struct {
		slot overrides.Slot
		want string
		set  bool
	}{
		{overrides.SlotEncoder, "reader Virtual PCD 00 00", true},
		{overrides.SlotPSAM, "reader ", false},
		{overrides.SlotPrinter, "port /tmp/station/printer.tty", true},
		{overrides.SlotRewriter, "USB serial number FT0009", true},
		{overrides.SlotIDReader, "port /tmp/station/idreader.tty", true},
		{overrides.SlotScanner, "HID 05e0:1200", true},
	}
	for _, c := range cases {
		o, ok := overrides.FileValue(file, c.slot)
		if ok != c.set || o.String() != c.want {
			t.Errorf("%s: %q %v, want %q %v", c.slot, o.String(), ok, c.want, c.set)
		}
	}
}

// fixture is a migrated database in dir with a supervisor, a technician
// and a clerk logged in.
type fixture struct {
	dir                string
	db                 *sql.DB
	svc                *overrides.Service
	boss, tech, clerk1 *operators.Session
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.open(t)
	ops := operators.New(f.db, operators.Options{Hash: operators.HashParams{Memory: 1024, Time: 1, Threads: 1}})
	var err error
	add := func(by *operators.Session, login string, role operators.Role) *operators.Session {
		t.Helper()
		if _, err = ops.Add(ctx, by, operators.NewOperator{Login: login, Name: login, Role: role,
			Password: login + "-password"}); err != nil {
			t.Fatal(err)
		}
		sess, err := ops.Login(ctx, login, login+"-password")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	f.boss = add(nil, "boss", operators.Supervisor)
	f.tech = add(f.boss, "tech1", operators.Technician)
	f.clerk1 = add(f.boss, "clerk1", operators.Clerk)
	return f
}

func (f *fixture) open(t *testing.T) {
	t.Helper()
	db, err := store.OpenMigrated(ctx, f.dir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	clock := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	f.svc = overrides.New(db, overrides.Options{Now: func() time.Time { return clock }})
}

// auditRows returns the config.change rows of the audit log.
func auditRows(t *testing.T, db *sql.DB) []audit.Row {
	t.Helper()
	var b bytes.Buffer
	if _, err := audit.Export(ctx, db, &b, audit.ExportOptions{Format: audit.FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var all []audit.Row
	if err := json.Unmarshal(b.Bytes(), &all); err != nil {
		t.Fatal(err)
	}
	var rows []audit.Row
	for _, r := range all {
		if r.Action == audit.ActionConfigChange {
			rows = append(rows, r)
		}
	}
	return rows
}

func TestAssignRoles(t *testing.T) {
	f := newFixture(t)
	choice := overrides.Choice{Transport: registry.TransportSerial, Port: "/dev/ttyS0"}
	cases := []struct {
		name string
		sess *operators.Session
		want error
	}{
		{"clerk", f.clerk1, operators.ErrForbidden},
		{"no session", nil, operators.ErrNoSession},
		{"technician", f.tech, nil},
		{"supervisor", f.boss, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Assign(ctx, c.sess, overrides.SlotPrinter, choice, found)
			if !errors.Is(err, c.want) {
				t.Errorf("Assign: %v, want %v", err, c.want)
			}
			_, err = f.svc.Clear(ctx, c.sess, overrides.SlotRewriter)
			if !errors.Is(err, c.want) {
				t.Errorf("Clear: %v, want %v", err, c.want)
			}
		})
	}
}

func TestClerkChangesNothing(t *testing.T) {
	f := newFixture(t)
	before := len(auditRows(t, f.db))
	_, err := f.svc.Assign(ctx, f.clerk1, overrides.SlotPrinter,
		overrides.Choice{Transport: registry.TransportSerial, Port: "/dev/ttyS0"}, found)
	if !errors.Is(err, operators.ErrForbidden) {
		t.Fatalf("Assign by a clerk: %v", err)
	}
	if list, err := f.svc.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("overrides after a refused assignment: %+v %v", list, err)
	}
	if after := len(auditRows(t, f.db)); after != before {
		t.Errorf("a refused assignment wrote %d audit rows", after-before)
	}
}

func TestAssignPersistsAndClears(t *testing.T) {
	f := newFixture(t)
	file := fileDevices()
	o, err := f.svc.Assign(ctx, f.tech, overrides.SlotPrinter,
		overrides.Choice{Transport: registry.TransportSerial, Port: "/dev/ttyUSB0"}, found)
	if err != nil {
		t.Fatal(err)
	}
	if o.SetBy != "tech1" || !o.SetAt.Equal(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("set by %q at %v", o.SetBy, o.SetAt)
	}
	if _, err := f.svc.Assign(ctx, f.boss, overrides.SlotEncoder,
		overrides.Choice{Transport: registry.TransportPCSC, Reader: "Virtual PCD 00 01"}, found); err != nil {
		t.Fatal(err)
	}

	f.db.Close()
	f.open(t)
	list, err := f.svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Slot != overrides.SlotEncoder || list[1] != o {
		t.Fatalf("after reopening: %+v, want the encoder then %+v", list, o)
	}
	d := overrides.Apply(file, list)
	if d.Printer.USBSerial != "FT0001" || d.Printer.Port != "" || d.Encoder.Name != "Virtual PCD 00 01" {
		t.Errorf("applied devices: printer %+v encoder %+v", d.Printer, d.Encoder)
	}

	cleared, err := f.svc.Clear(ctx, f.tech, overrides.SlotPrinter)
	if err != nil || !cleared {
		t.Fatalf("Clear: %v %v", cleared, err)
	}
	if again, err := f.svc.Clear(ctx, f.tech, overrides.SlotPrinter); err != nil || again {
		t.Errorf("second Clear: %v %v, want false without error", again, err)
	}
	list, err = f.svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d = overrides.Apply(file, list)
	if d.Printer != file.Printer {
		t.Errorf("after Clear the printer is %+v, want the file's %+v", d.Printer, file.Printer)
	}
	if d.Encoder.Name != "Virtual PCD 00 01" {
		t.Errorf("Clear of the printer changed the encoder: %+v", d.Encoder)
	}

	rows := auditRows(t, f.db)
	if len(rows) != 3 {
		t.Fatalf("%d config.change audit rows, want 3 (two assignments, one clear)", len(rows))
	}
	for i, want := range []struct {
		actor, subject string
		detail         map[string]string
	}{
		{"tech1", "device:printer", map[string]string{"change": "assign", "value": "USB serial number FT0001",
			"previous": "configuration file"}},
		{"boss", "device:encoder", map[string]string{"change": "assign", "value": "reader Virtual PCD 00 01",
			"previous": "configuration file"}},
		{"tech1", "device:printer", map[string]string{"change": "clear", "previous": "USB serial number FT0001"}},
	} {
		r := rows[i]
		var detail map[string]string
		if err := json.Unmarshal(r.Detail, &detail); err != nil {
			t.Fatal(err)
		}
		if r.Actor != want.actor || r.Subject != want.subject || !reflect.DeepEqual(detail, want.detail) {
			t.Errorf("audit row %d: %s %s %v, want %s %s %v", i, r.Actor, r.Subject, detail,
				want.actor, want.subject, want.detail)
		}
	}
	if rep, err := audit.Verify(ctx, f.db); err != nil || rep.Err() != nil {
		t.Errorf("audit chain: %v %v", err, rep.Err())
	}
}

func TestReadSkipsUnusableRows(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.Assign(ctx, f.tech, overrides.SlotScanner, overrides.Choice{Transport: registry.TransportHID,
		VendorID: "05e0", ProductID: "1200"}, found); err != nil {
		t.Fatal(err)
	}
	for key, value := range map[string]string{
		"devices.override.printer": `{"slot":"printer","transport":"hid","vendorId":"05e0","productId":"1200"}`,
		"devices.override.psam":    `not json`,
		"ui.language":              "en",
	} {
		if _, err := f.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, key, value); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.svc.List(ctx)
	if len(list) != 1 || list[0].Slot != overrides.SlotScanner {
		t.Errorf("overrides %+v, want the scanner only", list)
	}
	if err == nil || !strings.Contains(err.Error(), "devices.override.printer") ||
		!strings.Contains(err.Error(), "devices.override.psam") {
		t.Errorf("error %v does not name both unusable rows", err)
	}
}

func TestReadDataDir(t *testing.T) {
	empty := t.TempDir()
	list, err := overrides.ReadDataDir(ctx, filepath.Join(empty, "none"))
	if err != nil || list != nil {
		t.Errorf("missing data directory: %+v %v", list, err)
	}
	if _, err := os.Stat(filepath.Join(empty, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Error("ReadDataDir created the data directory")
	}

	unmigrated := t.TempDir()
	db, err := store.Open(unmigrated)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	list, err = overrides.ReadDataDir(ctx, unmigrated)
	if err != nil || list != nil {
		t.Errorf("database without tables: %+v %v", list, err)
	}

	f := newFixture(t)
	if _, err := f.svc.Assign(ctx, f.tech, overrides.SlotRewriter,
		overrides.Choice{Transport: registry.TransportSerial, Port: "/dev/ttyS0"}, found); err != nil {
		t.Fatal(err)
	}
	list, err = overrides.ReadDataDir(ctx, f.dir)
	if err != nil || len(list) != 1 || list[0].Port != "/dev/ttyS0" {
		t.Errorf("ReadDataDir: %+v %v", list, err)
	}
}
