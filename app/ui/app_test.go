package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/app/store"
	"permitdesk/app/ui/prefs"
	"permitdesk/devices"
)

type emitted struct {
	name string
	data any
}

type recorder struct {
	mu     sync.Mutex
	events []emitted
}

func (r *recorder) emit(_ context.Context, name string, data ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, emitted{name, data[0]})
}

func (r *recorder) list() []emitted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]emitted(nil), r.events...)
}

func newTestApp(t *testing.T, cfg config.Config, dir string) (*App, *recorder) {
	t.Helper()
	db, err := store.OpenMigrated(context.Background(), dir, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app := NewApp(Options{Build: BuildInfo{Version: "1.2.3"}, Config: cfg, Prefs: prefs.New(db)})
	rec := &recorder{}
	app.startup(context.Background(), rec.emit)
	return app, rec
}

func TestLanguageDefaultsToConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Language = "en"
	app, _ := newTestApp(t, cfg, t.TempDir())
	got, err := app.Language()
	if err != nil {
		t.Fatal(err)
	}
	if got != "en" {
		t.Errorf("Language() = %q, want the configured en", got)
	}
}

func TestSetLanguagePersists(t *testing.T) {
	dir := t.TempDir()
	app, rec := newTestApp(t, config.Default(), dir)
	if err := app.SetLanguage("en"); err != nil {
		t.Fatal(err)
	}
	events := rec.list()
	if len(events) != 1 || events[0].name != EventLanguageChanged || events[0].data != "en" {
		t.Errorf("events = %+v, want one %s with en", events, EventLanguageChanged)
	}

	reopened, _ := newTestApp(t, config.Default(), dir)
	got, err := reopened.Language()
	if err != nil {
		t.Fatal(err)
	}
	if got != "en" {
		t.Errorf("Language() after reopening = %q, want en", got)
	}
}

func TestSetLanguageRejectsUnknown(t *testing.T) {
	app, rec := newTestApp(t, config.Default(), t.TempDir())
	err := app.SetLanguage("fr")
	var ue *Error
	if !errors.As(err, &ue) {
		t.Fatalf("SetLanguage(fr) = %v, want *Error", err)
	}
	if ue.Code != CodeInvalidArgument {
		t.Errorf("code = %q, want %q", ue.Code, CodeInvalidArgument)
	}
	if want := `language "fr" is not supported: use zh-CN or en`; ue.Message != want {
		t.Errorf("message = %q, want %q", ue.Message, want)
	}
	if n := len(rec.list()); n != 0 {
		t.Errorf("%d events sent for a rejected language, want 0", n)
	}
}

func TestVersionReturnsBuildInfo(t *testing.T) {
	app := NewApp(Options{Build: BuildInfo{Version: "1.2.3", Commit: "abc", Date: "2026-01-02"}, Config: config.Default()})
	if got := app.Version(); got != (BuildInfo{"1.2.3", "abc", "2026-01-02"}) {
		t.Errorf("Version() = %+v", got)
	}
}

func TestStatusSnapshotFromConfig(t *testing.T) {
	port := filepath.Join(t.TempDir(), "ttyPRINTER")
	if err := os.WriteFile(port, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.StationID = "SZ-FT-001"
	cfg.Devices.Printer.Port = port
	cfg.Devices.Rewriter.Port = "/dev/permitdesk-no-such-port"
	cfg.Devices.Encoder.Name = "Virtual PCD 00 00"
	cfg.Devices.Scanner = config.HIDDevice{VendorID: "0483", ProductID: "5750"}

	st := NewApp(Options{Config: cfg}).StatusSnapshot()

	want := map[string]string{
		"encoder":     DeviceUnchecked,
		"psam":        DeviceNotConfigured,
		"desk_reader": DeviceNotConfigured,
		"printer":     DeviceUnchecked,
		"rewriter":    string(devices.StateAbsent),
		"idreader":    DeviceNotConfigured,
		"scanner":     DeviceUnchecked,
	}
	if len(st.Devices) != len(want) {
		t.Fatalf("%d devices, want %d: %+v", len(st.Devices), len(want), st.Devices)
	}
	for _, d := range st.Devices {
		if d.State != want[d.ID] {
			t.Errorf("device %s: state %q, want %q", d.ID, d.State, want[d.ID])
		}
	}
	if st.Station != "SZ-FT-001" {
		t.Errorf("station = %q", st.Station)
	}
	if st.Central.State != CentralOfflineOnly {
		t.Errorf("central = %q, want %q", st.Central.State, CentralOfflineOnly)
	}
	if st.Operator.LoggedIn {
		t.Error("operator logged in, want nobody")
	}
}

type fixedDevices []DeviceStatus

func (f fixedDevices) DeviceStatuses(context.Context) []DeviceStatus { return f }

func TestStatusSnapshotUsesDeviceSource(t *testing.T) {
	src := fixedDevices{{ID: "printer", Kind: "printer", State: string(devices.StateReady)}}
	app := NewApp(Options{Config: config.Default(), Devices: src})
	rec := &recorder{}
	app.startup(context.Background(), rec.emit)
	app.publishStatus()
	events := rec.list()
	if len(events) != 1 || events[0].name != EventStatusChanged {
		t.Fatalf("events = %+v, want one %s", events, EventStatusChanged)
	}
	st := events[0].data.(Status)
	if len(st.Devices) != 1 || st.Devices[0].State != "ready" {
		t.Errorf("devices = %+v, want the source's one ready printer", st.Devices)
	}
}

func TestFormatErrorCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"ui error kept", Errorf(CodeInvalidArgument, "bad"), CodeInvalidArgument},
		{"wrapped ui error", fmt.Errorf("outer: %w", Errorf(CodeTimeout, "slow")), CodeTimeout},
		{"config", fmt.Errorf("load: %w", config.ErrInvalid), CodeConfigInvalid},
		{"database too new", fmt.Errorf("open: %w", store.ErrTooNew), CodeDatabaseTooNew},
		{"device busy", &devices.Error{Device: "printer", Op: "print", Err: devices.ErrBusy}, CodeDeviceBusy},
		{"device unconfirmed", fmt.Errorf("encode: %w", devices.ErrUnconfirmed), CodeDeviceUnknownOut},
		{"device other", devices.Errorf("printer", "print", "E12", "ribbon out"), CodeDevice},
		{"deadline", context.DeadlineExceeded, CodeTimeout},
		{"plain", errors.New("disk full"), CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FormatError(tt.err).(*Error)
			if !ok {
				t.Fatalf("FormatError returned %T, want *Error", FormatError(tt.err))
			}
			if got.Code != tt.code {
				t.Errorf("code = %q, want %q", got.Code, tt.code)
			}
			if got.Message == "" {
				t.Error("empty message")
			}
		})
	}
}
