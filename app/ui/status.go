package ui

import (
	"context"
	"os"

	"permitdesk/app/config"
	"permitdesk/devices"
)

// Device states shown in the status bar, beyond those of devices.State.
const (
	// DeviceNotConfigured: the configuration names no such device.
	DeviceNotConfigured = "not_configured"
	// DeviceUnchecked: configured, but nothing has tried to open it yet.
	DeviceUnchecked = "unchecked"
)

// Central link states.
const (
	CentralOfflineOnly = "offline_only" // central.url is empty
	CentralUnknown     = "unknown"      // configured, no sync attempted yet
	CentralUp          = "up"
	CentralDown        = "down"
)

// DeviceSource reports the state of each device the workstation drives.
// ConfigDevices reports from the configuration alone. RegistryDevices, over
// the live device registry, replaces it through Options.Devices.
type DeviceSource interface {
	DeviceStatuses(ctx context.Context) []DeviceStatus
}

// ConfigDevices is a DeviceSource limited to what the configuration
// contains: which devices are configured and, for serial ports given by
// path, whether the path exists.
type ConfigDevices struct {
	Config config.Devices
}

// DeviceStatuses returns one entry per device kind, in a fixed order.
func (c ConfigDevices) DeviceStatuses(context.Context) []DeviceStatus {
	d := c.Config
	return []DeviceStatus{
		readerStatus(devices.KindEncoder, d.Encoder),
		readerStatus(devices.KindPSAM, d.PSAM),
		readerStatus(devices.KindEncoder, d.DeskReader).withID("desk_reader"),
		serialStatus(devices.KindPrinter, d.Printer),
		serialStatus(devices.KindRewriter, d.Rewriter),
		idReaderStatus(d.IDReader),
		hidStatus(devices.KindScanner, d.Scanner),
	}
}

func readerStatus(kind devices.Kind, r config.Reader) DeviceStatus {
	s := DeviceStatus{ID: string(kind), Kind: string(kind), Name: r.Name, State: DeviceNotConfigured}
	if r.Name != "" {
		s.State = DeviceUnchecked
	}
	return s
}

func serialStatus(kind devices.Kind, p config.SerialDevice) DeviceStatus {
	s := DeviceStatus{ID: string(kind), Kind: string(kind), State: DeviceNotConfigured}
	switch {
	case p.Port != "":
		s.Name, s.State = p.Port, DeviceUnchecked
		if _, err := os.Stat(p.Port); err != nil {
			s.State, s.Detail = string(devices.StateAbsent), err.Error()
		}
	case p.USBSerial != "":
		s.Name, s.State = "usb:"+p.USBSerial, DeviceUnchecked
	}
	return s
}

func hidStatus(kind devices.Kind, h config.HIDDevice) DeviceStatus {
	s := DeviceStatus{ID: string(kind), Kind: string(kind), State: DeviceNotConfigured}
	if h.VendorID != "" {
		s.Name, s.State = h.VendorID+":"+h.ProductID, DeviceUnchecked
	}
	return s
}

func idReaderStatus(r config.IDReader) DeviceStatus {
	if r.Transport == "hid" {
		return hidStatus(devices.KindIDReader, r.HID)
	}
	return serialStatus(devices.KindIDReader, r.SerialDevice)
}

func (s DeviceStatus) withID(id string) DeviceStatus {
	s.ID = id
	return s
}
