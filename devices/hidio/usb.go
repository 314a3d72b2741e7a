package hidio

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/karalabe/hid"
)

// USB is the Bus of the real USB HID devices, through karalabe/hid.
// On builds without cgo, Enumerate returns nothing and Open fails.
type USB struct{}

// Supported reports whether HID access is compiled in on this platform.
func (USB) Supported() bool { return hid.Supported() }

// Enumerate lists the attached HID interfaces.
func (USB) Enumerate(vendorID, productID uint16) ([]DeviceInfo, error) {
	list, err := hid.Enumerate(vendorID, productID)
	if err != nil {
		return nil, fmt.Errorf("enumerate HID devices: %w", err)
	}
	out := make([]DeviceInfo, len(list))
	for i, d := range list {
		out[i] = DeviceInfo{Path: d.Path, VendorID: d.VendorID, ProductID: d.ProductID,
			Release: d.Release, Serial: d.Serial, Manufacturer: d.Manufacturer, Product: d.Product,
			UsagePage: d.UsagePage, Usage: d.Usage, Interface: d.Interface}
	}
	return out, nil
}

// Open opens the interface at info.Path. On Linux the libusb backend
// detaches the kernel driver, so never open a keyboard-wedge scanner here:
// it would stop typing into the UI.
func (USB) Open(info DeviceInfo) (Device, error) {
	d, err := hid.DeviceInfo{Path: info.Path, VendorID: info.VendorID, ProductID: info.ProductID}.Open()
	if err != nil {
		return nil, fmt.Errorf("open HID device %s at %s: %w: %w", info.ID(), info.Path, err, ErrRemoved)
	}
	return &usbDevice{dev: d, path: info.Path}, nil
}

// usbDevice guards the hidapi handle: hidapi frees it in hid_close, so a
// read or write in another goroutine must finish before Close proceeds.
type usbDevice struct {
	dev    hid.Device
	path   string
	mu     sync.RWMutex
	closed bool
}

func (u *usbDevice) Write(report []byte) error {
	buf, err := writeBuffer(runtime.GOOS, report)
	if err != nil {
		return err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed {
		return fmt.Errorf("%s: %w", u.path, ErrClosed)
	}
	n, err := u.dev.Write(buf)
	if err != nil {
		return u.fail(err)
	}
	if n < len(buf) {
		return fmt.Errorf("%s: wrote %d of %d report bytes: %w", u.path, n, len(buf), ErrRemoved)
	}
	return nil
}

// writeBuffer adapts a report that starts with its ID to what
// karalabe/hid's Write expects on goos: on Windows it prepends the ID 0x00
// itself, elsewhere hidapi takes the ID from the first byte and strips 0x00.
func writeBuffer(goos string, report []byte) ([]byte, error) {
	if len(report) < 2 {
		return nil, fmt.Errorf("HID report of %d bytes: it needs the report ID and at least one data byte", len(report))
	}
	if goos != "windows" {
		return report, nil
	}
	if report[0] != 0 {
		return nil, fmt.Errorf("numbered output report %#02x: karalabe/hid can only write report ID 0 on Windows", report[0])
	}
	return report[1:], nil
}

func (u *usbDevice) Read(buf []byte, timeout time.Duration) (int, error) {
	ms := int(timeout / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed {
		return 0, fmt.Errorf("%s: %w", u.path, ErrClosed)
	}
	n, err := u.dev.ReadTimeout(buf, ms)
	if err != nil {
		return 0, u.fail(err)
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: no input report within %s: %w", u.path, timeout, errTimeout)
	}
	return n, nil
}

func (u *usbDevice) fail(err error) error {
	if errors.Is(err, hid.ErrDeviceClosed) {
		return fmt.Errorf("%s: %w", u.path, ErrClosed)
	}
	return removed(u.path, err)
}

// Close waits for a read or write in progress, which ends within its
// timeout, and then closes the handle.
func (u *usbDevice) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	return u.dev.Close()
}
