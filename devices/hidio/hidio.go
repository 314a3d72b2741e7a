// Package hidio is the small USB HID interface the ID card reader and the
// barcode scanner drivers use: enumerate devices, open one, write output
// reports, read input reports with a timeout. USB is the real implementation
// over github.com/karalabe/hid (hidapi with its libusb backend on Linux, so it
// needs cgo and libusb-1.0 and libudev headers); Emulator is an in-process
// bus for tests and simulators, since this machine has no virtual HID.
//
// Report IDs: a report written through Device.Write always starts with its
// report ID, 0x00 for devices without numbered reports, as in hidapi's own
// C API. karalabe/hid prepends that byte itself on Windows only, so USB
// strips it there and passes it through elsewhere. Input reports arrive as
// hidapi returns them: without an ID byte for unnumbered reports, with the ID
// first for numbered ones (the HID POS scanned-data report is ID 0x02).
package hidio

import (
	"errors"
	"fmt"
	"time"

	"permitdesk/devices"
)

// DeviceInfo describes one HID interface found by Enumerate.
type DeviceInfo struct {
	// Path is the platform's path for the interface; it changes when the
	// device is replugged, so identify devices by VendorID, ProductID and
	// Serial instead.
	Path      string `json:"path"`
	VendorID  uint16 `json:"vendorId"`
	ProductID uint16 `json:"productId"`
	// Release is the device release number in BCD.
	Release      uint16 `json:"release"`
	Serial       string `json:"serial"`
	Manufacturer string `json:"manufacturer"`
	Product      string `json:"product"`
	// UsagePage and Usage of the top-level collection; hidapi fills them on
	// Windows and macOS only, so they are 0 on Linux.
	UsagePage uint16 `json:"usagePage"`
	Usage     uint16 `json:"usage"`
	Interface int    `json:"interface"`
}

// ID returns "VVVV:PPPP" in hexadecimal, the form lsusb prints.
func (d DeviceInfo) ID() string { return fmt.Sprintf("%04x:%04x", d.VendorID, d.ProductID) }

// Bus finds and opens HID devices.
type Bus interface {
	// Enumerate lists the devices matching vendorID and productID; 0 matches
	// any value.
	Enumerate(vendorID, productID uint16) ([]DeviceInfo, error)
	// Open opens the device at info.Path.
	Open(info DeviceInfo) (Device, error)
}

// Device is an open HID device. Write and Read may be called from different
// goroutines. Close makes later calls fail with ErrClosed, and a Read in
// progress returns within its timeout.
type Device interface {
	// Write sends one output report. report[0] is the report ID, 0x00 when
	// the device does not number its reports; the rest is the report data.
	Write(report []byte) error
	// Read waits up to timeout for one input report and copies it into buf.
	// It returns devices.ErrTimeout when none arrived, and an error wrapping
	// ErrRemoved and devices.ErrNotConnected when the device is gone.
	Read(buf []byte, timeout time.Duration) (int, error)
	// Close releases the device.
	Close() error
}

// Errors that Device methods wrap.
var (
	// ErrRemoved means the device was unplugged or failed; reopen it after
	// it is enumerated again.
	ErrRemoved = errors.New("HID device removed")
	// ErrClosed means the handle was closed by this process.
	ErrClosed = errors.New("HID device closed")
)

func removed(path string, cause error) error {
	if cause == nil {
		return fmt.Errorf("%s: %w: %w", path, ErrRemoved, devices.ErrNotConnected)
	}
	return fmt.Errorf("%s: %w (%w): %w", path, ErrRemoved, cause, devices.ErrNotConnected)
}

// Match returns the devices in list with the given serial number, or all of
// them when serial is empty.
func Match(list []DeviceInfo, serial string) []DeviceInfo {
	if serial == "" {
		return list
	}
	var out []DeviceInfo
	for _, d := range list {
		if d.Serial == serial {
			out = append(out, d)
		}
	}
	return out
}
