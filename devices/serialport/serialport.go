// Package serialport opens the RS-232 ports that permitdesk's printer and
// rewriter drivers use, and gives them the two operations every serial
// protocol here needs: a write that delivers every byte or fails, and a read
// that reports a timeout as devices.ErrTimeout instead of as zero bytes.
//
// A port is chosen by its device path (/dev/ttyUSB0, /dev/serial/by-id/...,
// or an emulator's pseudo-terminal link) or by the USB adapter's serial
// number, never by enumeration order, because ttyUSB numbers change when
// adapters are plugged in a different order. go.bug.st/serial v1.8.0 does the
// line settings; its Read returns (0, nil) on a timeout, which this package
// turns into devices.ErrTimeout.
package serialport

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"permitdesk/devices"
)

// Conn is the byte stream a driver talks through. *Port implements it over a
// real port; tests wrap it to inject short writes or delays.
type Conn interface {
	io.ReadWriteCloser
	// SetReadTimeout bounds each Read; a Read that times out returns (0, nil).
	SetReadTimeout(d time.Duration) error
	// ResetInputBuffer discards bytes received but not yet read.
	ResetInputBuffer() error
}

// Options selects and configures a port.
type Options struct {
	// Path is the device path. It wins over USBSerial when both are set.
	Path string
	// USBSerial picks the USB serial adapter with this serial number.
	USBSerial string
	// Baud is the line speed in bits per second; 0 means 9600.
	Baud int
	// FlowControl is "none" (default), "rtscts" or "xonxoff". go.bug.st/serial
	// v1.8.0 sets no flow control itself, so only "none" is applied; the
	// others are accepted and left to the adapter's defaults.
	FlowControl string
}

// Port is an open serial port.
type Port struct {
	serial.Port
	// Name is the device path that was opened.
	Name string
}

// ErrNotFound is returned when no port matches the options.
var ErrNotFound = errors.New("serial port not found")

// Open resolves and opens the port with 8 data bits, no parity and one stop
// bit. Errors wrap devices.ErrNotConnected so callers can retry later.
func Open(opts Options) (*Port, error) {
	path, err := Resolve(opts)
	if err != nil {
		return nil, err
	}
	baud := opts.Baud
	if baud == 0 {
		baud = 9600
	}
	mode := &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit}
	p, err := serial.Open(path, mode)
	if err != nil {
		return nil, fmt.Errorf("open serial port %s: %w: %w", path, err, devices.ErrNotConnected)
	}
	return &Port{Port: p, Name: path}, nil
}

// Resolve returns the device path the options name.
func Resolve(opts Options) (string, error) {
	if opts.Path != "" {
		return opts.Path, nil
	}
	if opts.USBSerial == "" {
		return "", fmt.Errorf("no serial port configured: set port or usb_serial: %w",
			devices.ErrNotConfigured)
	}
	list, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return "", fmt.Errorf("list serial ports: %w", err)
	}
	var seen []string
	for _, p := range list {
		if p.IsUSB && p.SerialNumber == opts.USBSerial {
			return p.Name, nil
		}
		if p.IsUSB {
			seen = append(seen, p.SerialNumber)
		}
	}
	return "", fmt.Errorf("%w: no USB serial adapter has serial number %q (present: %s); "+
		"check the cable or usb_serial: %w", ErrNotFound, opts.USBSerial,
		strings.Join(seen, ", "), devices.ErrNotConnected)
}

// WriteFull writes all of b, looping over short writes. A write that makes no
// progress or fails returns the number of bytes delivered so far and an error
// wrapping devices.ErrNotConnected.
func WriteFull(w io.Writer, b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := w.Write(b[done:])
		done += n
		if err != nil {
			return done, fmt.Errorf("write after %d of %d bytes: %w: %w",
				done, len(b), err, devices.ErrNotConnected)
		}
		if n == 0 {
			return done, fmt.Errorf("write made no progress after %d of %d bytes: %w",
				done, len(b), devices.ErrNotConnected)
		}
	}
	return done, nil
}

// ReadSome reads what is available within d. It returns devices.ErrTimeout
// when nothing arrived and wraps devices.ErrNotConnected when the port failed
// or was unplugged.
func ReadSome(c Conn, buf []byte, d time.Duration) (int, error) {
	if d <= 0 {
		d = time.Millisecond
	}
	if err := c.SetReadTimeout(d); err != nil {
		return 0, fmt.Errorf("set read timeout: %w: %w", err, devices.ErrNotConnected)
	}
	n, err := c.Read(buf)
	if err != nil {
		return n, fmt.Errorf("read: %w: %w", err, devices.ErrNotConnected)
	}
	if n == 0 {
		return 0, devices.ErrTimeout
	}
	return n, nil
}
