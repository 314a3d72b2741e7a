package hidio

import (
	"errors"
	"fmt"
	"strings"

	"permitdesk/devices"
)

// ErrAmbiguous means several devices match a filter without a serial number.
var ErrAmbiguous = errors.New("several HID devices match")

// Filter picks one device by USB ids and, to tell identical devices apart,
// by serial number. Enumeration order and paths are never used, because they
// change when devices are replugged.
type Filter struct {
	VendorID  uint16 `json:"vendorId"`
	ProductID uint16 `json:"productId"`
	// Serial is the USB serial number; empty accepts any, but then only one
	// matching device may be attached.
	Serial string `json:"serial,omitempty"`
}

// String returns "vvvv:pppp" with " serial S" when a serial is set.
func (f Filter) String() string {
	s := fmt.Sprintf("%04x:%04x", f.VendorID, f.ProductID)
	if f.Serial != "" {
		s += " serial " + f.Serial
	}
	return s
}

// Find returns the one device on bus that f matches. It wraps
// devices.ErrNotConnected when none does, and ErrAmbiguous, listing the
// serial numbers seen, when several do.
func Find(bus Bus, f Filter) (DeviceInfo, error) {
	list, err := bus.Enumerate(f.VendorID, f.ProductID)
	if err != nil {
		return DeviceInfo{}, err
	}
	matched := Match(list, f.Serial)
	switch len(matched) {
	case 1:
		return matched[0], nil
	case 0:
		return DeviceInfo{}, fmt.Errorf("no HID device %s attached (%s): %w", f, serials(list), devices.ErrNotConnected)
	}
	return DeviceInfo{}, fmt.Errorf("%w: %d devices are %s (%s): set the serial number of the one to use",
		ErrAmbiguous, len(matched), f, serials(matched))
}

func serials(list []DeviceInfo) string {
	if len(list) == 0 {
		return "none with these ids"
	}
	s := make([]string, len(list))
	for i, d := range list {
		s[i] = fmt.Sprintf("serial %q at %s", d.Serial, d.Path)
	}
	return strings.Join(s, ", ")
}
