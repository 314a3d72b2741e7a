package registry

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"

	"go.bug.st/serial/enumerator"

	"permitdesk/devices/hidio"
)

// Found is every device one discovery pass found on the machine, whether
// configured or not. An empty error string means its list is complete.
type Found struct {
	// Readers are the PC/SC reader names in the order pcscd lists them.
	Readers      []string `json:"readers"`
	ReadersError string   `json:"readersError,omitempty"`
	// SerialPorts are sorted by path.
	SerialPorts []SerialPort `json:"serialPorts"`
	SerialError string       `json:"serialError,omitempty"`
	// HID lists every HID interface, sorted by vendor id, product id,
	// serial number and path.
	HID      []hidio.DeviceInfo `json:"hid"`
	HIDError string             `json:"hidError,omitempty"`
}

// SerialPort is one serial port found by Discover.
type SerialPort struct {
	// Path is the path to configure: the device node, or the symbolic link
	// found in a link directory.
	Path string `json:"path"`
	// Device is the device node a link points to, such as /dev/pts/3;
	// empty when Path is the node itself.
	Device string `json:"device,omitempty"`
	// USB is true for a USB serial adapter. VendorID, ProductID,
	// SerialNumber and Product are its USB descriptor values when the
	// system reports them.
	USB          bool   `json:"usb"`
	VendorID     string `json:"vendorId,omitempty"`
	ProductID    string `json:"productId,omitempty"`
	SerialNumber string `json:"serialNumber,omitempty"`
	Product      string `json:"product,omitempty"`
}

// DiscoverOptions configure Discover. The nil defaults are those of
// Options.
type DiscoverOptions struct {
	// PCSC lists PC/SC readers; nil reports that PC/SC is not available.
	PCSC ReaderLister
	// HID is the HID bus; nil means hidio.USB.
	HID hidio.Bus
	// SerialPorts lists the system's serial ports; nil means
	// enumerator.GetDetailedPortsList.
	SerialPorts func() ([]*enumerator.PortDetails, error)
	// LinkDirs are directories searched for symbolic links to character
	// devices, such as the links the emulators make to their
	// pseudo-terminals. The enumerator does not list pseudo-terminals.
	LinkDirs []string
}

// Discover lists the PC/SC readers, serial ports and HID devices attached
// now. A source that fails leaves its list empty and sets its error
// string; the other sources are still listed.
func Discover(ctx context.Context, o DiscoverOptions) Found {
	if o.HID == nil {
		o.HID = hidio.USB{}
	}
	if o.SerialPorts == nil {
		o.SerialPorts = func() ([]*enumerator.PortDetails, error) { return enumerator.GetDetailedPortsList() }
	}
	f := Found{Readers: []string{}, SerialPorts: []SerialPort{}, HID: []hidio.DeviceInfo{}}

	if o.PCSC == nil {
		f.ReadersError = "PC/SC is not available in this build or configuration"
	} else if names, err := o.PCSC.List(ctx); err != nil {
		f.ReadersError = err.Error()
	} else if names != nil {
		f.Readers = names
	}

	ports, err := o.SerialPorts()
	if err != nil {
		f.SerialError = "list serial ports: " + err.Error()
	}
	f.SerialPorts = serialPorts(ports, o.LinkDirs)

	hid, err := o.HID.Enumerate(0, 0)
	if err != nil {
		f.HIDError = err.Error()
	} else if hid != nil {
		f.HID = slices.Clone(hid)
	}
	slices.SortFunc(f.HID, func(a, b hidio.DeviceInfo) int {
		return cmp.Or(cmp.Compare(a.VendorID, b.VendorID), cmp.Compare(a.ProductID, b.ProductID),
			cmp.Compare(a.Serial, b.Serial), cmp.Compare(a.Path, b.Path))
	})
	return f
}

// serialPorts merges the enumerated ports with the links found in dirs. A
// link to an enumerated USB port carries that port's USB details.
func serialPorts(ports []*enumerator.PortDetails, dirs []string) []SerialPort {
	out := []SerialPort{}
	byPath := map[string]SerialPort{}
	for _, p := range ports {
		sp := SerialPort{Path: p.Name, USB: p.IsUSB, VendorID: p.VID, ProductID: p.PID,
			SerialNumber: p.SerialNumber, Product: p.Product}
		byPath[p.Name] = sp
		out = append(out, sp)
	}
	seen := map[string]bool{}
	for _, sp := range out {
		seen[sp.Path] = true
	}
	for _, dir := range dirs {
		for _, link := range deviceLinks(dir) {
			if seen[link.Path] {
				continue
			}
			seen[link.Path] = true
			if node, ok := byPath[link.Device]; ok {
				link.USB, link.VendorID, link.ProductID = node.USB, node.VendorID, node.ProductID
				link.SerialNumber, link.Product = node.SerialNumber, node.Product
			}
			out = append(out, link)
		}
	}
	slices.SortFunc(out, func(a, b SerialPort) int { return cmp.Compare(a.Path, b.Path) })
	return out
}

// deviceLinks returns the symbolic links in dir that resolve to a
// character device. A directory that cannot be read yields none, because
// a missing emulator directory only means no emulator runs.
func deviceLinks(dir string) []SerialPort {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []SerialPort
	for _, e := range entries {
		if e.Type()&os.ModeSymlink == 0 {
			continue
		}
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path)
		if err != nil || st.Mode()&os.ModeCharDevice == 0 {
			continue
		}
		node, err := filepath.EvalSymlinks(path)
		if err != nil {
			continue
		}
		out = append(out, SerialPort{Path: path, Device: node})
	}
	return out
}

// LinkDirs returns the directories that contain the given serial port
// paths, for DiscoverOptions.LinkDirs. It leaves out /dev, where the
// enumerator finds the ports and where links such as /dev/stdin also
// point to terminals, and relative or empty paths.
func LinkDirs(paths ...string) []string {
	var out []string
	for _, p := range paths {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		dir := filepath.Dir(filepath.Clean(p))
		if dir == "/dev" || slices.Contains(out, dir) {
			continue
		}
		out = append(out, dir)
	}
	return out
}

// Port returns the found serial port with the given path.
func (f Found) Port(path string) (SerialPort, bool) {
	for _, p := range f.SerialPorts {
		if p.Path == path {
			return p, true
		}
	}
	return SerialPort{}, false
}
