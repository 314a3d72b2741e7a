package hidio

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"permitdesk/devices"
)

var errTimeout = devices.ErrTimeout

// DefaultReportSize is the report size of full-speed HID devices.
const DefaultReportSize = 64

// Emulator is an in-process Bus. Simulators plug emulated devices into it
// and talk to the host through the Endpoint they get back; drivers use it
// as they would use USB. The zero value is not usable; call NewEmulator.
type Emulator struct {
	mu    sync.Mutex
	order []string
	devs  map[string]*Endpoint
}

// NewEmulator returns an empty bus.
func NewEmulator() *Emulator {
	return &Emulator{devs: make(map[string]*Endpoint)}
}

// OutputReport is one report the host wrote: its ID and its data.
type OutputReport struct {
	ID   byte
	Data []byte
}

// Endpoint is the device side of an emulated HID device.
type Endpoint struct {
	info       DeviceInfo
	reportSize int
	in         chan []byte
	out        chan OutputReport
	gone       chan struct{}
	goneOnce   sync.Once

	mu     sync.Mutex
	opened bool
}

// Plug attaches a device. reportSize bounds output reports (without the ID
// byte); 0 means DefaultReportSize. Plugging a path already present fails.
func (e *Emulator) Plug(info DeviceInfo, reportSize int) (*Endpoint, error) {
	if reportSize == 0 {
		reportSize = DefaultReportSize
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.devs[info.Path]; ok {
		return nil, fmt.Errorf("plug emulated HID device: path %s is in use", info.Path)
	}
	ep := &Endpoint{info: info, reportSize: reportSize, in: make(chan []byte, 256),
		out: make(chan OutputReport, 256), gone: make(chan struct{})}
	e.devs[info.Path] = ep
	e.order = append(e.order, info.Path)
	return ep, nil
}

// Unplug detaches the device at path; open handles fail from then on.
func (e *Emulator) Unplug(path string) {
	e.mu.Lock()
	ep := e.devs[path]
	delete(e.devs, path)
	e.order = slices.DeleteFunc(e.order, func(p string) bool { return p == path })
	e.mu.Unlock()
	if ep != nil {
		ep.goneOnce.Do(func() { close(ep.gone) })
	}
}

// Enumerate lists plugged devices in the order they were plugged.
func (e *Emulator) Enumerate(vendorID, productID uint16) ([]DeviceInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []DeviceInfo
	for _, p := range e.order {
		d := e.devs[p].info
		if (vendorID == 0 || d.VendorID == vendorID) && (productID == 0 || d.ProductID == productID) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Open opens a plugged device. Like hidapi's libusb backend, which claims
// the interface, a second Open of the same device fails with devices.ErrBusy
// until the first handle is closed.
func (e *Emulator) Open(info DeviceInfo) (Device, error) {
	e.mu.Lock()
	ep := e.devs[info.Path]
	e.mu.Unlock()
	if ep == nil {
		return nil, fmt.Errorf("open HID device %s: %w", info.Path, removed(info.Path, nil))
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.opened {
		return nil, fmt.Errorf("open HID device %s: already open: %w", info.Path, devices.ErrBusy)
	}
	ep.opened = true
	return &emuDevice{ep: ep, closed: make(chan struct{})}, nil
}

// Info returns the descriptor the endpoint was plugged with.
func (ep *Endpoint) Info() DeviceInfo { return ep.info }

// Input queues one input report for the host, as the device would send it
// (with the ID first for numbered reports). It fails once unplugged.
func (ep *Endpoint) Input(report []byte) error {
	select {
	case <-ep.gone:
		return removed(ep.info.Path, nil)
	case ep.in <- append([]byte(nil), report...):
		return nil
	}
}

// Output returns the reports the host writes.
func (ep *Endpoint) Output() <-chan OutputReport { return ep.out }

// Gone is closed when the device is unplugged.
func (ep *Endpoint) Gone() <-chan struct{} { return ep.gone }

// Flush drops input reports the host has not read yet.
func (ep *Endpoint) Flush() {
	for {
		select {
		case <-ep.in:
		default:
			return
		}
	}
}

type emuDevice struct {
	ep        *Endpoint
	closed    chan struct{}
	closeOnce sync.Once
}

func (d *emuDevice) Write(report []byte) error {
	if err := d.check(); err != nil {
		return err
	}
	if len(report) < 2 || len(report)-1 > d.ep.reportSize {
		return fmt.Errorf("%s: HID report of %d bytes: want the report ID and 1 to %d data bytes",
			d.ep.info.Path, len(report), d.ep.reportSize)
	}
	r := OutputReport{ID: report[0], Data: append([]byte(nil), report[1:]...)}
	select {
	case d.ep.out <- r:
		return nil
	case <-d.ep.gone:
		return removed(d.ep.info.Path, nil)
	case <-d.closed:
		return fmt.Errorf("%s: %w", d.ep.info.Path, ErrClosed)
	}
}

func (d *emuDevice) Read(buf []byte, timeout time.Duration) (int, error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-d.ep.in:
		return copy(buf, r), nil
	case <-d.ep.gone:
		return 0, removed(d.ep.info.Path, nil)
	case <-d.closed:
		return 0, fmt.Errorf("%s: %w", d.ep.info.Path, ErrClosed)
	case <-t.C:
		return 0, fmt.Errorf("%s: no input report within %s: %w", d.ep.info.Path, timeout, errTimeout)
	}
}

func (d *emuDevice) check() error {
	select {
	case <-d.closed:
		return fmt.Errorf("%s: %w", d.ep.info.Path, ErrClosed)
	case <-d.ep.gone:
		return removed(d.ep.info.Path, nil)
	default:
		return nil
	}
}

func (d *emuDevice) Close() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		d.ep.mu.Lock()
		d.ep.opened = false
		d.ep.mu.Unlock()
	})
	return nil
}
