package diag

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idreader"
	"permitdesk/devices/scanner"
	"permitdesk/devices/serialport"
)

// hidFilter converts a configured HID device to a filter.
func hidFilter(h config.HIDDevice, field string) (hidio.Filter, error) {
	vid, err := strconv.ParseUint(h.VendorID, 16, 16)
	if err != nil {
		return hidio.Filter{}, fmt.Errorf("%s.vendor_id %q is not a hexadecimal id such as 0400", field, h.VendorID)
	}
	pid, err := strconv.ParseUint(h.ProductID, 16, 16)
	if err != nil {
		return hidio.Filter{}, fmt.Errorf("%s.product_id %q is not a hexadecimal id such as c35a", field,
			h.ProductID)
	}
	return hidio.Filter{VendorID: uint16(vid), ProductID: uint16(pid), Serial: h.Serial}, nil
}

// findHID reports the device check of a HID device and returns its filter.
func (s *Service) findHID(l *checkList, id string, h config.HIDDevice, field string) (hidio.Filter, bool) {
	f, err := hidFilter(h, field)
	if err != nil {
		l.fail(id, err.Error(), "correct "+field+" in the configuration", nil).variant("config_invalid")
		return f, false
	}
	info, err := hidio.Find(s.opts.HID, f)
	if err != nil {
		fix := "plug the device in, or check " + field + ".vendor_id, product_id and serial against `lsusb -v`"
		if errors.Is(err, hidio.ErrAmbiguous) {
			fix = "set " + field + ".serial to the serial number of the device to use"
		}
		l.fail(id, err.Error(), fix, nil).variant("not_found")
		return f, false
	}
	l.pass(id, fmt.Sprintf("%s %s %s found", info.ID(), info.Manufacturer, info.Product),
		map[string]string{"usb_id": info.ID(), "serial": info.Serial, "product": info.Product}).variant("usb")
	return f, true
}

var idReaderCheckIDs = []string{"idreader.port", "idreader.sam"}

// openIDReader reports idreader.port and opens the reader.
func (s *Service) openIDReader(l *checkList) *idreader.Reader {
	c := s.opts.Config.Devices.IDReader
	opts := idreader.Options{Name: "idreader", Timeout: s.deviceTimeout(c.Timeout.Duration), Logger: s.log}
	if c.Transport == "hid" {
		if c.HID.VendorID == "" {
			l.skipRest(idReaderCheckIDs, "not_configured", "not configured: set devices.idreader.hid.vendor_id to enable it")
			return nil
		}
		f, ok := s.findHID(l, "idreader.port", c.HID, "devices.idreader.hid")
		if !ok {
			l.skipRest(idReaderCheckIDs, "prerequisite", "the reader is not attached")
			return nil
		}
		r, err := idreader.OpenHID(s.opts.HID, f, opts)
		if err != nil {
			l.fail("idreader.sam", "opening the reader failed: "+err.Error(),
				"close other programs that use the ID card reader, or plug it in again", nil).variant("open_failed")
			return nil
		}
		return r
	}
	return s.openSerialIDReader(l, c, opts)
}

func (s *Service) openSerialIDReader(l *checkList, c config.IDReader, opts idreader.Options) *idreader.Reader {
	if c.Port == "" && c.USBSerial == "" {
		l.skipRest(idReaderCheckIDs, "not_configured", "not configured: set devices.idreader.port to enable it")
		return nil
	}
	path, problem := probePort("devices.idreader", c.SerialDevice, false)
	if problem != nil {
		l.fail("idreader.port", problem.reason, problem.fix, map[string]string{"path": path}).variant(problem.variant)
		l.skipRest(idReaderCheckIDs, "prerequisite", "the port cannot be used")
		return nil
	}
	r, err := idreader.OpenSerial(serialport.Options{Path: path, Baud: c.Baud, FlowControl: c.FlowControl}, opts)
	if err != nil {
		l.fail("idreader.port", fmt.Sprintf("opening %s failed: %v", path, err),
			"check the cable and the USB serial adapter", map[string]string{"path": path}).variant("open_failed")
		l.skipRest(idReaderCheckIDs, "prerequisite", "the port cannot be used")
		return nil
	}
	l.pass("idreader.port", "port "+path+" opened", map[string]string{"path": path}).variant("serial")
	return r
}

// checkIDReader runs the SAM self-check and reads the SAM id.
func (s *Service) checkIDReader(ctx context.Context) []Check {
	l := checkList{device: "idreader"}
	r := s.openIDReader(&l)
	if r == nil {
		l.skipRest(idReaderCheckIDs, "prerequisite", "the reader cannot be used")
		return l.checks
	}
	defer r.Close()
	if err := r.Status(ctx); err != nil {
		l.fail("idreader.sam", "the SAM self-check failed: "+err.Error(), idReaderFix(err), nil).variant("self_check")
		return l.checks
	}
	id, err := r.SAMID(ctx)
	if err != nil {
		l.fail("idreader.sam", "reading the SAM id failed: "+err.Error(), idReaderFix(err), nil).variant("sam_id")
		return l.checks
	}
	id = groupHex(id)
	l.pass("idreader.sam", "SAM self-check passed, SAM id "+id, map[string]string{"sam_id": id})
	return l.checks
}

// groupHex writes a hexadecimal id in upper case in groups of 8 digits, so
// the 16-byte SAM id reads easily and the bundle's redaction of long
// hexadecimal runs, meant for keys, leaves it in place.
func groupHex(id string) string {
	id = strings.ToUpper(id)
	var groups []string
	for len(id) > 8 {
		groups, id = append(groups, id[:8]), id[8:]
	}
	return strings.Join(append(groups, id), "-")
}

func idReaderFix(err error) string {
	var de *devices.Error
	if errors.As(err, &de) {
		switch de.Code {
		case idreader.CodeTimeout:
			return "switch the reader on, and check that devices.idreader.port is the reader's port and " +
				"devices.idreader.baud its speed"
		case idreader.CodeBadFrame:
			return "check the cable and devices.idreader.baud; replace the reader if it persists"
		case idreader.CodeNoCard:
			return "place an ID card flat on the reader"
		}
	}
	return "unplug the reader, plug it in again and run the diagnostics again"
}

// testRead reads the ID card on the reader. The result shows the ID number
// masked and no other personal data.
func (s *Service) testRead(ctx context.Context, timeout time.Duration) Check {
	l := checkList{device: "idreader"}
	r := s.openIDReader(&l)
	if r == nil {
		return l.checks[0]
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rec, err := r.WaitRead(ctx, 200*time.Millisecond, false)
	if err != nil {
		return failCheck("idreader.test_read", "idreader", "read_failed", "reading the ID card failed: "+
			Redact(err.Error()), idReaderFix(err))
	}
	return Check{ID: "idreader.test_read", Code: "idreader.test_read.pass", Device: "idreader", Status: StatusPass,
		Reason: "ID card read: " + logging.MaskID(rec.Identity.Number), Details: map[string]string{
			"id_number": logging.MaskID(rec.Identity.Number), "card_type": string(rec.Identity.CardType),
			"photo_bytes": strconv.Itoa(len(rec.Photo))}}
}

// checkScanner reports whether the scanner is attached.
func (s *Service) checkScanner() []Check {
	l := checkList{device: "scanner"}
	c := s.opts.Config.Devices.Scanner
	if c.VendorID == "" {
		l.skip("scanner.device", "not_configured", "not configured: set devices.scanner.vendor_id to enable it")
		return l.checks
	}
	s.findHID(&l, "scanner.device", c, "devices.scanner")
	return l.checks
}

// testScan waits up to timeout for one scan.
func (s *Service) testScan(ctx context.Context, timeout time.Duration) Check {
	l := checkList{device: "scanner"}
	c := s.opts.Config.Devices.Scanner
	if c.VendorID == "" {
		return failCheck("scanner.test_scan", "scanner", "not_configured", "no scanner configured",
			"set devices.scanner.vendor_id and product_id")
	}
	f, ok := s.findHID(&l, "scanner.device", c, "devices.scanner")
	if !ok {
		return l.checks[0]
	}
	sc, err := scanner.Open(s.opts.HID, f, scanner.Options{Logger: s.log})
	if err != nil {
		return failCheck("scanner.test_scan", "scanner", "open_failed", "opening the scanner failed: "+err.Error(),
			"close other programs that use the scanner, or plug it in again")
	}
	defer sc.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	scan, err := sc.Next(ctx)
	if err != nil {
		return failCheck("scanner.test_scan", "scanner", "no_scan", fmt.Sprintf("no scan within %s: %v", timeout, err),
			"scan a barcode while the test runs; if the scanner beeps but nothing arrives, set it to "+
				"HID POS mode with the vendor's configuration barcode")
	}
	text, _ := scan.Text()
	return Check{ID: "scanner.test_scan", Code: "scanner.test_scan.pass", Device: "scanner", Status: StatusPass,
		Reason: fmt.Sprintf("scanned %s, %d bytes", scan.SymbologyName(), len(scan.Data)),
		Details: map[string]string{"symbology": scan.Symbology, "bytes": strconv.Itoa(len(scan.Data)),
			"text": Redact(text)}}
}
