package overrides

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"permitdesk/devices/hidio"
	"permitdesk/devices/registry"
)

// Choice is a device picked from a registry.Found list: Reader for a PC/SC
// reader, Port for a serial port, and VendorID, ProductID and Serial for a
// HID device.
type Choice struct {
	Transport registry.Transport
	Reader    string
	Port      string
	// VendorID and ProductID are hexadecimal, such as "0400".
	VendorID  string
	ProductID string
	Serial    string
}

// Resolve checks that c fits slot and is among the devices in found, and
// returns the override that pins it. A USB serial adapter chosen by its
// device node is pinned by its USB serial number when no other adapter
// shares it, so it keeps its role on another USB socket. The errors wrap
// ErrInvalid or ErrNotFound and name the value and what to do.
func Resolve(slot Slot, c Choice, found registry.Found) (Override, error) {
	if _, err := ParseSlot(string(slot)); err != nil {
		return Override{}, err
	}
	if !slices.Contains(slot.Transports(), c.Transport) {
		return Override{}, fmt.Errorf("%w: the %s takes %s, not %q", ErrInvalid, slot, transportNames(slot), c.Transport)
	}
	switch c.Transport {
	case registry.TransportPCSC:
		return resolveReader(slot, c.Reader, found)
	case registry.TransportSerial:
		return resolvePort(slot, c.Port, found)
	}
	return resolveHID(slot, c, found)
}

func resolveReader(slot Slot, name string, found registry.Found) (Override, error) {
	if name == "" {
		return Override{}, fmt.Errorf("%w: no PC/SC reader chosen for the %s", ErrInvalid, slot)
	}
	if !slices.Contains(found.Readers, name) {
		return Override{}, fmt.Errorf("%w: PC/SC reader %q is not among the readers found now (%s): "+
			"connect it, list the devices again and choose it from the list", ErrNotFound, name,
			listOrReason(found.Readers, found.ReadersError))
	}
	// The station finds a reader by a part of its name, so the whole name
	// must not also be part of another reader's name.
	var matched []string
	for _, r := range found.Readers {
		if strings.Contains(r, name) {
			matched = append(matched, r)
		}
	}
	if len(matched) > 1 {
		return Override{}, fmt.Errorf("%w: PC/SC reader name %q is also part of %q, so the station cannot "+
			"tell these readers apart: unplug the other readers",
			ErrInvalid, name, matched[1:])
	}
	return Override{Slot: slot, Transport: registry.TransportPCSC, Reader: name}, nil
}

func resolvePort(slot Slot, path string, found registry.Found) (Override, error) {
	if path == "" {
		return Override{}, fmt.Errorf("%w: no serial port chosen for the %s", ErrInvalid, slot)
	}
	p, ok := found.Port(path)
	if !ok {
		paths := make([]string, len(found.SerialPorts))
		for i, sp := range found.SerialPorts {
			paths[i] = sp.Path
		}
		return Override{}, fmt.Errorf("%w: serial port %s is not among the ports found now (%s): "+
			"connect the device, list the devices again and choose its port from the list", ErrNotFound, path,
			listOrReason(paths, found.SerialError))
	}
	o := Override{Slot: slot, Transport: registry.TransportSerial, Port: path}
	if p.Device == "" && p.USB && p.SerialNumber != "" && sharedSerialNumber(found, p.SerialNumber) == 1 {
		o.Port, o.USBSerial = "", p.SerialNumber
	}
	return o, nil
}

// sharedSerialNumber counts the USB device nodes with serial number sn.
func sharedSerialNumber(found registry.Found, sn string) int {
	n := 0
	for _, p := range found.SerialPorts {
		if p.Device == "" && p.USB && p.SerialNumber == sn {
			n++
		}
	}
	return n
}

func resolveHID(slot Slot, c Choice, found registry.Found) (Override, error) {
	vid, verr := strconv.ParseUint(c.VendorID, 16, 16)
	pid, perr := strconv.ParseUint(c.ProductID, 16, 16)
	if verr != nil || perr != nil || vid == 0 {
		return Override{}, fmt.Errorf("%w: HID ids %q:%q for the %s are not 16-bit hexadecimal ids such as 0400:c35a",
			ErrInvalid, c.VendorID, c.ProductID, slot)
	}
	f := hidio.Filter{VendorID: uint16(vid), ProductID: uint16(pid), Serial: c.Serial}
	var sameIDs []hidio.DeviceInfo
	for _, d := range found.HID {
		if d.VendorID == f.VendorID && d.ProductID == f.ProductID {
			sameIDs = append(sameIDs, d)
		}
	}
	// Match with an empty serial number returns every device with the ids,
	// because the station accepts any of them then.
	matched := hidio.Match(sameIDs, c.Serial)
	switch {
	case len(matched) == 0:
		ids := make([]string, len(found.HID))
		for i, d := range found.HID {
			ids[i] = hidio.Filter{VendorID: d.VendorID, ProductID: d.ProductID, Serial: d.Serial}.String()
		}
		return Override{}, fmt.Errorf("%w: HID device %s is not among the HID devices found now (%s): "+
			"connect it, list the devices again and choose it from the list", ErrNotFound, f,
			listOrReason(ids, found.HIDError))
	case len(matched) > 1:
		paths := make([]string, len(matched))
		for i, d := range matched {
			paths[i] = d.Path
		}
		return Override{}, fmt.Errorf("%w: %d HID interfaces are %s (%s), so the station cannot tell them apart: "+
			"unplug the others, or choose a device with its own serial number", ErrInvalid, len(matched), f,
			strings.Join(paths, ", "))
	}
	return Override{Slot: slot, Transport: registry.TransportHID, VendorID: fmt.Sprintf("%04x", vid),
		ProductID: fmt.Sprintf("%04x", pid), Serial: c.Serial}, nil
}

// listOrReason returns the quoted items, or the reason the list is empty.
func listOrReason(items []string, reason string) string {
	switch {
	case len(items) > 0:
		return fmt.Sprintf("%q", items)
	case reason != "":
		return "none: " + reason
	}
	return "none"
}
