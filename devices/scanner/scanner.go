// Package scanner reads barcodes from a USB barcode scanner in HID POS mode:
// usage page 0x8C (Bar Code Scanner) of the USB-IF "HID Point of Sale Usage
// Tables" 1.02. Each scan arrives as one or more 64-byte Scanned Data
// Reports (report ID 0x02):
//
//	byte 0      report ID 0x02
//	byte 1      count of valid data bytes in this report, at most 56
//	bytes 2-4   AIM symbology identifier, such as "]Q1" for QR Code
//	bytes 5-60  decoded data, zero-padded
//	bytes 61-62 vendor-specific (Honeywell code-ID character, reserved)
//	byte 63     bit 0 set when more reports of the same scan follow
//
// This is the layout of Honeywell's HID POS descriptor, which Access-IS
// manuals describe the same way; other vendors may place the fields
// differently. Scanners in keyboard-wedge mode are not read here: the
// operating system owns keyboards, so the UI reads them as fast keystrokes
// ending in Enter.
package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"permitdesk/devices"
	"permitdesk/devices/hidio"
)

// Report constants of the HID POS Scanned Data Report.
const (
	UsagePage      = 0x8C
	ReportID       = 0x02
	ReportSize     = 64
	MaxReportData  = 56
	dataOffset     = 5
	continuedByte  = 63
	continuedFlag  = 0x01
	symbologyStart = 2
	// MaxScanLen bounds the data of one scan; a QR code holds at most 2953
	// bytes in binary mode.
	MaxScanLen = 4096
)

// ErrMalformed means a scanned-data report broke the layout above.
var ErrMalformed = errors.New("malformed HID POS report")

// Scan is one decoded barcode.
type Scan struct {
	// Symbology is the AIM identifier, such as "]Q1"; empty when the scanner
	// sends none.
	Symbology string `json:"symbology"`
	// Data is the decoded bytes as the barcode holds them.
	Data []byte    `json:"data"`
	Time time.Time `json:"time"`
}

var symbologyNames = map[string]string{
	"]Q": "QR Code", "]C": "Code 128", "]E": "EAN/UPC", "]d": "Data Matrix",
	"]L": "PDF417", "]A": "Code 39", "]I": "Interleaved 2 of 5", "]z": "Aztec",
}

// SymbologyName returns a readable name for the AIM identifier.
func (s Scan) SymbologyName() string {
	if len(s.Symbology) >= 2 {
		if n, ok := symbologyNames[s.Symbology[:2]]; ok {
			return n
		}
	}
	return "unknown (" + s.Symbology + ")"
}

// Text returns the data as a string: as is when it is valid UTF-8,
// otherwise decoded as GB18030, the other encoding Chinese QR codes use.
func (s Scan) Text() (string, error) {
	if utf8.Valid(s.Data) {
		return string(s.Data), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(s.Data)
	if err != nil {
		return "", fmt.Errorf("barcode data is neither UTF-8 nor GB18030: %w", err)
	}
	return string(out), nil
}

// Assembler joins continued reports into scans. The zero value is ready.
type Assembler struct {
	sym     string
	data    []byte
	pending bool
}

// Add takes one input report. It returns the scan when the report ends one,
// and ignores reports with other IDs (trigger, status). A malformed report
// drops any partial scan and returns an error wrapping ErrMalformed.
func (a *Assembler) Add(report []byte) (*Scan, error) {
	if len(report) == 0 || report[0] != ReportID {
		return nil, nil
	}
	if len(report) < ReportSize {
		return nil, a.fail("scanned-data report of %d bytes, want %d", len(report), ReportSize)
	}
	n := int(report[1])
	if n > MaxReportData {
		return nil, a.fail("data count %d exceeds %d", n, MaxReportData)
	}
	if len(a.data)+n > MaxScanLen {
		return nil, a.fail("scan exceeds %d bytes", MaxScanLen)
	}
	if !a.pending {
		a.sym = symbology(report[symbologyStart:dataOffset])
		a.pending = true
	}
	a.data = append(a.data, report[dataOffset:dataOffset+n]...)
	if report[continuedByte]&continuedFlag != 0 {
		return nil, nil
	}
	s := &Scan{Symbology: a.sym, Data: a.data}
	a.Reset()
	return s, nil
}

func symbology(b []byte) string {
	end := 0
	for end < len(b) && b[end] != 0 {
		end++
	}
	return string(b[:end])
}

// Pending reports whether a scan is partly received.
func (a *Assembler) Pending() bool { return a.pending }

// Reset drops a partial scan.
func (a *Assembler) Reset() { a.sym, a.data, a.pending = "", nil, false }

func (a *Assembler) fail(format string, args ...any) error {
	a.Reset()
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// EncodeReports builds the 64-byte reports a scanner sends for one scan.
// The emulator uses it.
func EncodeReports(sym string, data []byte) [][]byte {
	var out [][]byte
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), MaxReportData)
		r := make([]byte, ReportSize)
		r[0], r[1] = ReportID, byte(n)
		copy(r[symbologyStart:dataOffset], sym)
		copy(r[dataOffset:], data[:n])
		data = data[n:]
		if len(data) > 0 {
			r[continuedByte] = continuedFlag
		}
		out = append(out, r)
	}
	return out
}

// Options configure a Scanner.
type Options struct {
	// Name is the device name used in errors; empty means "scanner".
	Name string
	// PartialTimeout drops a scan whose continuation report does not arrive
	// in time; 0 means 500ms.
	PartialTimeout time.Duration
	// Logger receives dropped reports at warn level; nil discards them.
	Logger *slog.Logger
}

// Scanner is an open HID POS scanner. Next is not safe for concurrent use.
type Scanner struct {
	dev  hidio.Device
	opts Options
	log  *slog.Logger
	asm  Assembler
}

// Open opens the one scanner that f matches on bus.
func Open(bus hidio.Bus, f hidio.Filter, opts Options) (*Scanner, error) {
	info, err := hidio.Find(bus, f)
	if err != nil {
		return nil, err
	}
	dev, err := bus.Open(info)
	if err != nil {
		return nil, err
	}
	return New(dev, opts), nil
}

// New wraps an open device.
func New(dev hidio.Device, opts Options) *Scanner {
	if opts.Name == "" {
		opts.Name = "scanner"
	}
	if opts.PartialTimeout == 0 {
		opts.PartialTimeout = 500 * time.Millisecond
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{dev: dev, opts: opts, log: log.With("device", opts.Name)}
}

// Next waits for the next scan until ctx ends or the scanner is closed. A
// malformed report is logged and skipped. A removed device ends the wait
// with an error wrapping devices.ErrNotConnected.
func (s *Scanner) Next(ctx context.Context) (Scan, error) {
	buf := make([]byte, ReportSize)
	lastPart := time.Time{}
	for {
		if err := ctx.Err(); err != nil {
			return Scan{}, err
		}
		n, err := s.dev.Read(buf, 100*time.Millisecond)
		if errors.Is(err, devices.ErrTimeout) {
			s.dropStale(lastPart)
			continue
		}
		if errors.Is(err, hidio.ErrClosed) {
			return Scan{}, err
		}
		if err != nil {
			return Scan{}, &devices.Error{Device: s.opts.Name, Op: "read scan", Code: "disconnected", Err: err}
		}
		scan, err := s.asm.Add(buf[:n])
		if err != nil {
			s.log.Warn("dropped scanner report", "err", err)
			continue
		}
		if scan != nil {
			scan.Time = time.Now()
			return *scan, nil
		}
		lastPart = time.Now()
	}
}

func (s *Scanner) dropStale(lastPart time.Time) {
	if s.asm.Pending() && time.Since(lastPart) > s.opts.PartialTimeout {
		s.log.Warn("dropped a scan whose continuation did not arrive", "timeout", s.opts.PartialTimeout)
		s.asm.Reset()
	}
}

// Close closes the device.
func (s *Scanner) Close() error { return s.dev.Close() }
