package ui

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.bug.st/serial/enumerator"

	"permitdesk/app/config"
	"permitdesk/devices"
	"permitdesk/devices/registry"
)

// TestRegistryDevicesFollowPlug plugs a serial printer (its port path
// appears) and checks that the status bar is sent its new state.
func TestRegistryDevicesFollowPlug(t *testing.T) {
	port := filepath.Join(t.TempDir(), "ttyPRINTER")
	reg, err := registry.New(registry.Options{Devices: []registry.Spec{{
		Name: "printer", Kind: devices.KindPrinter, Transport: registry.TransportSerial, SerialPath: port,
		Probe: func(context.Context, registry.Location) error { return nil },
	}}, SerialPorts: noUSBPorts})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Devices.Printer.Port = port
	app := NewApp(Options{Config: cfg, Devices: RegistryDevices{Registry: reg, Config: cfg.Devices}})
	statuses := make(chan Status, 64)
	app.startup(context.Background(), func(_ context.Context, name string, data ...any) {
		if name == EventStatusChanged {
			statuses <- data[0].(Status)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg.Scan(ctx)
	go app.watchDevices(ctx, reg)

	first := waitPrinter(t, statuses, string(devices.StateAbsent))
	if first.Detail == "" {
		t.Error("absent printer has no reason")
	}
	if err := os.WriteFile(port, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	reg.Scan(ctx)
	ready := waitPrinter(t, statuses, string(devices.StateReady))
	if ready.Name != port {
		t.Errorf("printer name = %q, want its path %q", ready.Name, port)
	}
	for _, d := range app.StatusSnapshot().Devices {
		if d.ID != "printer" && d.State != DeviceNotConfigured {
			t.Errorf("device %s: state %q, want %q", d.ID, d.State, DeviceNotConfigured)
		}
	}
}

func noUSBPorts() ([]*enumerator.PortDetails, error) { return nil, nil }

// waitPrinter returns the printer's entry from the first status that shows
// it in state.
func waitPrinter(t *testing.T, statuses <-chan Status, state string) DeviceStatus {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case st := <-statuses:
			for _, d := range st.Devices {
				if d.ID == "printer" && d.State == state {
					return d
				}
			}
		case <-timeout:
			t.Fatalf("no status with the printer %s within 10s", state)
		}
	}
}
