package idreadersim

import (
	"permitdesk/devices/hidio"
	"permitdesk/devices/scanner"
)

// ScannerHIDInfo is the descriptor of the emulated HID POS scanner. It uses
// the pid.codes test ids 1209:0001, so it never poses as a real product.
func ScannerHIDInfo(path, serial string) hidio.DeviceInfo {
	return hidio.DeviceInfo{Path: path, VendorID: 0x1209, ProductID: 0x0001, Serial: serial,
		Manufacturer: "permitdesk", Product: "Emulated HID POS scanner",
		UsagePage: scanner.UsagePage, Usage: 0x02}
}

// Scanner is an emulated HID POS barcode scanner plugged into a bus.
type Scanner struct {
	ep *hidio.Endpoint
}

// PlugScanner attaches an emulated scanner to bus.
func PlugScanner(bus *hidio.Emulator, info hidio.DeviceInfo) (*Scanner, error) {
	ep, err := bus.Plug(info, scanner.ReportSize)
	if err != nil {
		return nil, err
	}
	return &Scanner{ep: ep}, nil
}

// Scan sends one barcode as Scanned Data Reports, split into continued
// reports when it is longer than 56 bytes.
func (s *Scanner) Scan(symbology string, data []byte) error {
	for _, r := range scanner.EncodeReports(symbology, data) {
		if err := s.ep.Input(r); err != nil {
			return err
		}
	}
	return nil
}

// SendRaw sends one input report as given, to inject malformed reports.
func (s *Scanner) SendRaw(report []byte) error { return s.ep.Input(report) }

// Info returns the descriptor the scanner was plugged with.
func (s *Scanner) Info() hidio.DeviceInfo { return s.ep.Info() }
