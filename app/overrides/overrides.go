// Package overrides keeps the device choices made on this station, which
// replace entries of the configuration file's [devices] table. A
// technician or supervisor picks each device from what the station found
// (registry.Discover) in the Settings screen. The choice is checked against
// that list, stored in the settings table of the station database and
// written to the audit log in the same transaction.
//
// The configuration every part of the station uses is the file's with the
// stored overrides on top (Apply). Only the device's identity is
// overridden: the reader name, the serial port or USB serial number, the
// HID ids and the ID card reader's transport. Line speeds, timeouts and
// APDU sizes stay as the file sets them.
package overrides

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"permitdesk/app/config"
	"permitdesk/devices/registry"
)

// Slot is one device role of the station, named as in the status bar and
// in the [devices] table.
type Slot string

// Slots of the station.
const (
	SlotEncoder    Slot = "encoder"
	SlotPSAM       Slot = "psam"
	SlotDeskReader Slot = "desk_reader"
	SlotPrinter    Slot = "printer"
	SlotRewriter   Slot = "rewriter"
	SlotIDReader   Slot = "idreader"
	SlotScanner    Slot = "scanner"
)

// Slots lists every slot in the status bar's order.
var Slots = []Slot{SlotEncoder, SlotPSAM, SlotDeskReader, SlotPrinter, SlotRewriter, SlotIDReader, SlotScanner}

// Errors that callers branch on.
var (
	// ErrInvalid means the slot or the choice is malformed or does not fit
	// the slot.
	ErrInvalid = errors.New("invalid device choice")
	// ErrNotFound means the chosen device is not among those found now.
	ErrNotFound = errors.New("device not found")
)

// ParseSlot checks a slot name.
func ParseSlot(s string) (Slot, error) {
	if !slices.Contains(Slots, Slot(s)) {
		names := make([]string, len(Slots))
		for i, sl := range Slots {
			names[i] = string(sl)
		}
		return "", fmt.Errorf("%w: unknown device slot %q: use one of %s", ErrInvalid, s, strings.Join(names, ", "))
	}
	return Slot(s), nil
}

// Transports returns the transports a slot accepts. The card slots take a
// PC/SC reader, the printer and the rewriter a serial port, the ID card
// reader a serial port or a HID device, and the scanner a HID device.
func (s Slot) Transports() []registry.Transport {
	switch s {
	case SlotEncoder, SlotPSAM, SlotDeskReader:
		return []registry.Transport{registry.TransportPCSC}
	case SlotPrinter, SlotRewriter:
		return []registry.Transport{registry.TransportSerial}
	case SlotIDReader:
		return []registry.Transport{registry.TransportSerial, registry.TransportHID}
	case SlotScanner:
		return []registry.Transport{registry.TransportHID}
	}
	return nil
}

// Override is one slot's device in configuration terms. Exactly the fields
// of its transport are set: Reader for PC/SC, Port or USBSerial for
// serial, VendorID, ProductID and Serial for HID.
type Override struct {
	Slot      Slot               `json:"slot"`
	Transport registry.Transport `json:"transport"`
	// Reader is the whole PC/SC reader name. The station matches it as a
	// substring, like devices.encoder.name.
	Reader string `json:"reader,omitempty"`
	// Port is the serial port path. USBSerial instead picks the USB serial
	// adapter with that serial number wherever it is plugged in.
	Port      string `json:"port,omitempty"`
	USBSerial string `json:"usbSerial,omitempty"`
	// VendorID and ProductID are 4 lower-case hexadecimal digits, such as
	// 0400. Serial is the USB serial number, which may be empty.
	VendorID  string `json:"vendorId,omitempty"`
	ProductID string `json:"productId,omitempty"`
	Serial    string `json:"serial,omitempty"`
	// SetBy is the login of the operator who chose the device, and SetAt
	// when. Both are empty for a value read from the file.
	SetBy string    `json:"setBy,omitempty"`
	SetAt time.Time `json:"setAt,omitzero"`
}

// String describes the device, such as "port /dev/ttyUSB0" or "HID
// 0400:c35a serial R1".
func (o Override) String() string {
	switch o.Transport {
	case registry.TransportPCSC:
		return "reader " + o.Reader
	case registry.TransportSerial:
		if o.USBSerial != "" {
			return "USB serial number " + o.USBSerial
		}
		return "port " + o.Port
	case registry.TransportHID:
		s := "HID " + o.VendorID + ":" + o.ProductID
		if o.Serial != "" {
			s += " serial " + o.Serial
		}
		return s
	}
	return "nothing"
}

// check returns an error wrapping ErrInvalid unless o fits its slot.
func (o Override) check() error {
	if _, err := ParseSlot(string(o.Slot)); err != nil {
		return err
	}
	if !slices.Contains(o.Slot.Transports(), o.Transport) {
		return fmt.Errorf("%w: the %s takes %s, not %q", ErrInvalid, o.Slot, transportNames(o.Slot), o.Transport)
	}
	var ok bool
	switch o.Transport {
	case registry.TransportPCSC:
		ok = o.Reader != ""
	case registry.TransportSerial:
		ok = (o.Port == "") != (o.USBSerial == "")
	case registry.TransportHID:
		ok = validHexID(o.VendorID) && validHexID(o.ProductID)
	}
	if !ok {
		return fmt.Errorf("%w: the %s override names no complete %s device", ErrInvalid, o.Slot, o.Transport)
	}
	return nil
}

func validHexID(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

func transportNames(s Slot) string {
	var names []string
	for _, t := range s.Transports() {
		switch t {
		case registry.TransportPCSC:
			names = append(names, "a PC/SC reader")
		case registry.TransportSerial:
			names = append(names, "a serial port")
		case registry.TransportHID:
			names = append(names, "a HID device")
		}
	}
	return strings.Join(names, " or ")
}

// Apply returns d with each override in list replacing its slot's device.
// Overrides that do not fit their slot are skipped, and List never
// returns such overrides.
func Apply(d config.Devices, list []Override) config.Devices {
	for _, o := range list {
		if o.check() != nil {
			continue
		}
		switch o.Slot {
		case SlotEncoder:
			d.Encoder.Name = o.Reader
		case SlotPSAM:
			d.PSAM.Name = o.Reader
		case SlotDeskReader:
			d.DeskReader.Name = o.Reader
		case SlotPrinter:
			d.Printer.Port, d.Printer.USBSerial = o.Port, o.USBSerial
		case SlotRewriter:
			d.Rewriter.Port, d.Rewriter.USBSerial = o.Port, o.USBSerial
		case SlotIDReader:
			d.IDReader.Transport = string(o.Transport)
			if o.Transport == registry.TransportHID {
				d.IDReader.HID = config.HIDDevice{VendorID: o.VendorID, ProductID: o.ProductID, Serial: o.Serial}
			} else {
				d.IDReader.Port, d.IDReader.USBSerial = o.Port, o.USBSerial
			}
		case SlotScanner:
			d.Scanner = config.HIDDevice{VendorID: o.VendorID, ProductID: o.ProductID, Serial: o.Serial}
		}
	}
	return d
}

// FileValue returns the device d names for slot, in the form of an
// Override, and false when d leaves the slot empty.
func FileValue(d config.Devices, slot Slot) (Override, bool) {
	o := Override{Slot: slot}
	reader := func(r config.Reader) (Override, bool) {
		o.Transport, o.Reader = registry.TransportPCSC, r.Name
		return o, r.Name != ""
	}
	serial := func(s config.SerialDevice) (Override, bool) {
		o.Transport, o.Port, o.USBSerial = registry.TransportSerial, s.Port, s.USBSerial
		if s.Port != "" {
			o.USBSerial = "" // the station uses the path when both are set
		}
		return o, s.Port != "" || s.USBSerial != ""
	}
	hid := func(h config.HIDDevice) (Override, bool) {
		o.Transport = registry.TransportHID
		o.VendorID, o.ProductID, o.Serial = strings.ToLower(h.VendorID), strings.ToLower(h.ProductID), h.Serial
		return o, h.VendorID != ""
	}
	switch slot {
	case SlotEncoder:
		return reader(d.Encoder)
	case SlotPSAM:
		return reader(d.PSAM)
	case SlotDeskReader:
		return reader(d.DeskReader)
	case SlotPrinter:
		return serial(d.Printer)
	case SlotRewriter:
		return serial(d.Rewriter)
	case SlotIDReader:
		if d.IDReader.Transport == string(registry.TransportHID) {
			return hid(d.IDReader.HID)
		}
		return serial(d.IDReader.SerialDevice)
	case SlotScanner:
		return hid(d.Scanner)
	}
	return o, false
}
