// Package registry keeps the list of every configured device with its
// identity, connection state and capabilities, finds devices as they are
// plugged in and out, and streams the changes.
//
// Discovery polls, because hot-plug notifications are not portable:
// PC/SC readers by name through a ReaderLister, serial ports by configured
// path or by USB serial number through go.bug.st/serial/enumerator, HID
// devices through a hidio.Bus by vendor id, product id and serial number.
// A device is pinned by that stable identity, never by enumeration order or
// by its current path, so two identical readers cannot swap roles.
//
// States follow devices.State: absent (not found), connecting (found and
// being probed), ready, busy (inside Use), and error (found but failing, with
// a reason). A device in error is probed again with exponential backoff.
// Ready devices are not probed again while present, so a driver that holds
// a device open is not disturbed.
//
// Subscribe returns the current statuses and an event stream starting right
// after them, taken under one lock, so a late subscriber misses nothing.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.bug.st/serial/enumerator"

	"permitdesk/devices"
	"permitdesk/devices/hidio"
)

// Transport is the kind of link a device is attached by.
type Transport string

// Transports.
const (
	TransportPCSC   Transport = "pcsc"
	TransportSerial Transport = "serial"
	TransportHID    Transport = "hid"
)

// Spec is one configured device.
type Spec struct {
	// Name is unique within the registry, such as "encoder" or "idreader".
	Name string
	Kind devices.Kind
	// Transport selects which of the fields below identifies the device.
	Transport Transport
	// ReaderName is a substring of the PC/SC reader name. It must match
	// exactly one reader.
	ReaderName string
	// SerialPath is the serial device path; SerialUSB instead picks the USB
	// serial adapter with that serial number.
	SerialPath string
	SerialUSB  string
	// HID picks a HID device; set HID.Serial when identical devices may be
	// attached together.
	HID hidio.Filter
	// Capabilities lists the operations the device supports. Nil means the
	// defaults of Kind (see DefaultCapabilities).
	Capabilities []string
	// Probe checks a found device. Nil means the generic check: a PC/SC
	// reader is present by name, a serial port opens, a HID device opens.
	// Errors wrapping devices.ErrBusy leave the device ready, since another
	// handle holds it.
	Probe func(ctx context.Context, loc Location) error
}

// Location is the place a device was found at on the latest scan.
type Location struct {
	Transport Transport `json:"transport"`
	// Path is the PC/SC reader name, the serial device path (symbolic
	// links resolved), or the HID path.
	Path string `json:"path"`
	// HID is the descriptor of a HID device.
	HID *hidio.DeviceInfo `json:"hid,omitempty"`
}

// Status is a device's entry in the registry.
type Status struct {
	Name      string       `json:"name"`
	Kind      devices.Kind `json:"kind"`
	Transport Transport    `json:"transport"`
	// Identity is the stable identity the device is pinned by.
	Identity string `json:"identity"`
	// Path is the device's current location, empty while absent.
	Path         string        `json:"path,omitempty"`
	State        devices.State `json:"state"`
	Reason       string        `json:"reason,omitempty"`
	Capabilities []string      `json:"capabilities"`
	Since        time.Time     `json:"since"`
	// Failures counts failed probes since the device was last ready.
	Failures int `json:"failures,omitempty"`
}

// ReaderLister lists PC/SC reader names. SCard implements it with
// github.com/ebfe/scard; pcsc.Reader has the same method.
type ReaderLister interface {
	List(ctx context.Context) ([]string, error)
}

// Options configure New.
type Options struct {
	Devices []Spec
	// PCSC lists PC/SC readers; nil reports PC/SC devices absent with a
	// reason saying PC/SC is not available.
	PCSC ReaderLister
	// HID is the HID bus; nil means hidio.USB.
	HID hidio.Bus
	// SerialPorts lists USB serial adapters for SerialUSB matching; nil
	// means enumerator.GetDetailedPortsList.
	SerialPorts func() ([]*enumerator.PortDetails, error)
	// Interval is the time between scans in Run; 0 means 1s.
	Interval time.Duration
	// BackoffMin is the wait before re-probing a failed device, doubling
	// per failure up to BackoffMax; 0 means 500ms and 30s.
	BackoffMin, BackoffMax time.Duration
	// ProbeTimeout bounds each probe; 0 means 5s.
	ProbeTimeout time.Duration
	// Now returns the time; nil means time.Now.
	Now func() time.Time
	// Logger receives state changes and probe failures; nil discards them.
	Logger *slog.Logger
}

// Registry tracks the configured devices. Its methods are safe for
// concurrent use.
type Registry struct {
	opts Options
	log  *slog.Logger

	scanMu sync.Mutex // serialises Scan

	mu      sync.Mutex
	entries []*entry
	byName  map[string]*entry
	seq     uint64
	subs    map[*Subscription]struct{}
}

type entry struct {
	spec      Spec
	status    Status
	loc       Location
	nextProbe time.Time
}

// ErrUnknownDevice is returned for a name the registry does not hold.
var ErrUnknownDevice = errors.New("unknown device")

// New checks the specs and returns a registry with every device absent.
// Call Scan or Run to discover them.
func New(opts Options) (*Registry, error) {
	opts = withDefaults(opts)
	r := &Registry{opts: opts, log: opts.Logger.With("component", "device_registry"),
		byName: make(map[string]*entry), subs: make(map[*Subscription]struct{})}
	now := opts.Now()
	for _, s := range opts.Devices {
		if err := checkSpec(s); err != nil {
			return nil, err
		}
		if _, dup := r.byName[s.Name]; dup {
			return nil, fmt.Errorf("device %q is configured twice", s.Name)
		}
		e := &entry{spec: s, status: Status{Name: s.Name, Kind: s.Kind, Transport: s.Transport,
			Identity: identity(s), State: devices.StateAbsent, Reason: "not scanned yet",
			Capabilities: capabilities(s), Since: now}}
		r.entries = append(r.entries, e)
		r.byName[s.Name] = e
	}
	return r, nil
}

func withDefaults(o Options) Options {
	if o.HID == nil {
		o.HID = hidio.USB{}
	}
	if o.SerialPorts == nil {
		o.SerialPorts = func() ([]*enumerator.PortDetails, error) { return enumerator.GetDetailedPortsList() }
	}
	if o.Interval == 0 {
		o.Interval = time.Second
	}
	if o.BackoffMin == 0 {
		o.BackoffMin = 500 * time.Millisecond
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = 30 * time.Second
	}
	if o.ProbeTimeout == 0 {
		o.ProbeTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func checkSpec(s Spec) error {
	if s.Name == "" {
		return errors.New("a device has no name")
	}
	switch s.Transport {
	case TransportPCSC:
		if s.ReaderName == "" {
			return fmt.Errorf("device %s: a PC/SC device needs a reader name", s.Name)
		}
	case TransportSerial:
		if s.SerialPath == "" && s.SerialUSB == "" {
			return fmt.Errorf("device %s: a serial device needs a port path or a USB serial number", s.Name)
		}
	case TransportHID:
		if s.HID.VendorID == 0 {
			return fmt.Errorf("device %s: a HID device needs a vendor id", s.Name)
		}
	default:
		return fmt.Errorf("device %s: unknown transport %q: use pcsc, serial or hid", s.Name, s.Transport)
	}
	return nil
}

func identity(s Spec) string {
	switch s.Transport {
	case TransportPCSC:
		return "pcsc reader " + s.ReaderName
	case TransportSerial:
		if s.SerialPath != "" {
			return "serial " + s.SerialPath
		}
		return "usb-serial " + s.SerialUSB
	}
	return "hid " + s.HID.String()
}

// DefaultCapabilities returns what a device of kind k can do.
func DefaultCapabilities(k devices.Kind) []string {
	switch k {
	case devices.KindEncoder:
		return []string{"read_chip", "encode_chip"}
	case devices.KindPSAM:
		return []string{"derive_keys"}
	case devices.KindPrinter:
		return []string{"print_face", "contactless_station"}
	case devices.KindRewriter:
		return []string{"rewrite_strip"}
	case devices.KindIDReader:
		return []string{"read_identity", "read_photo", "read_fingerprint"}
	case devices.KindScanner:
		return []string{"scan_barcode"}
	}
	return []string{}
}

func capabilities(s Spec) []string {
	if s.Capabilities != nil {
		return slices.Clone(s.Capabilities)
	}
	return DefaultCapabilities(s.Kind)
}

// Snapshot returns every device's status in configuration order.
func (r *Registry) Snapshot() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snapshotLocked()
}

func (r *Registry) snapshotLocked() []Status {
	out := make([]Status, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.status
		out[i].Capabilities = slices.Clone(e.status.Capabilities)
	}
	return out
}

// Status returns one device's status.
func (r *Registry) Status(name string) (Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byName[name]
	if !ok {
		return Status{}, fmt.Errorf("%w %q", ErrUnknownDevice, name)
	}
	return e.status, nil
}

// Run scans every Interval until ctx ends.
func (r *Registry) Run(ctx context.Context) error {
	r.log.Info("device registry started", "devices", len(r.entries), "interval", r.opts.Interval)
	defer r.log.Info("device registry stopped")
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	for {
		r.Scan(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Reconfigure replaces the configured devices with specs, so a device
// assigned anew is tracked without a new registry. A device whose
// transport, kind and identity are unchanged keeps its state. A changed
// device turns absent until the next scan finds it, and a new one starts
// absent. A removed one is dropped after a last event that shows it absent
// with the reason "removed from the configuration". A Use in progress on a
// changed or removed device finishes on the old location. Call Scan
// afterwards to find the devices.
func (r *Registry) Reconfigure(specs []Spec) error {
	names := map[string]bool{}
	for _, s := range specs {
		if err := checkSpec(s); err != nil {
			return err
		}
		if names[s.Name] {
			return fmt.Errorf("device %q is configured twice", s.Name)
		}
		names[s.Name] = true
	}

	r.scanMu.Lock() // Scan reads r.entries without r.mu
	defer r.scanMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	entries := make([]*entry, 0, len(specs))
	byName := make(map[string]*entry, len(specs))
	for _, s := range specs {
		e, ok := r.byName[s.Name]
		switch {
		case !ok:
			e = &entry{spec: s, status: Status{Name: s.Name, Kind: s.Kind, Transport: s.Transport,
				Identity: identity(s), State: devices.StateAbsent, Reason: "not scanned yet",
				Capabilities: capabilities(s), Since: now}}
			r.emitLocked(e, devices.StateAbsent, now)
		case e.spec.Transport == s.Transport && e.spec.Kind == s.Kind && identity(e.spec) == identity(s):
			e.spec = s
		default:
			e.spec = s
			e.status.Kind, e.status.Transport, e.status.Identity = s.Kind, s.Transport, identity(s)
			e.status.Capabilities, e.status.Failures, e.nextProbe = capabilities(s), 0, time.Time{}
			from := e.status.State
			e.status.State, e.status.Reason, e.status.Path, e.loc = devices.StateAbsent,
				"reassigned, not scanned yet", "", Location{}
			if from != devices.StateAbsent {
				e.status.Since = now
			}
			r.emitLocked(e, from, now)
		}
		entries = append(entries, e)
		byName[s.Name] = e
	}
	for _, e := range r.entries {
		if !names[e.spec.Name] {
			r.setLocked(e, devices.StateAbsent, "removed from the configuration", Location{})
		}
	}
	r.entries, r.byName = entries, byName
	r.log.Info("devices reconfigured", "devices", len(entries))
	return nil
}
