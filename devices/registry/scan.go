package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/serialport"
)

// found is the outcome of looking for one device.
type found struct {
	loc      Location
	present  bool
	conflict bool   // present but not identifiable: several devices match
	reason   string // the cause of absence or conflict
}

// discovery caches the lists one scan needs.
type discovery struct {
	readers    []string
	readersErr error
	ports      []*enumerator.PortDetails
	portsErr   error
	portsRead  bool
}

// Scan runs one discovery pass: it finds every device, probes those newly
// found or due for a retry, and emits an event for each change. Devices are
// found one after another and probed in parallel, so one slow probe does
// not delay the others.
func (r *Registry) Scan(ctx context.Context) {
	r.scanMu.Lock()
	defer r.scanMu.Unlock()
	d := &discovery{}
	if r.hasTransport(TransportPCSC) {
		d.readers, d.readersErr = r.listReaders(ctx)
	}
	var wg sync.WaitGroup
	for _, e := range r.entries {
		if ctx.Err() != nil {
			break
		}
		f := r.locate(e.spec, d)
		wg.Go(func() { r.scanEntry(ctx, e, f) })
	}
	wg.Wait()
}

func (r *Registry) hasTransport(t Transport) bool {
	for _, e := range r.entries {
		if e.spec.Transport == t {
			return true
		}
	}
	return false
}

func (r *Registry) listReaders(ctx context.Context) ([]string, error) {
	if r.opts.PCSC == nil {
		return nil, errors.New("PC/SC is not available in this build or configuration")
	}
	return r.opts.PCSC.List(ctx)
}

func (r *Registry) scanEntry(ctx context.Context, e *entry, f found) {
	r.mu.Lock()
	switch {
	case !f.present:
		r.setLocked(e, devices.StateAbsent, f.reason, Location{})
		r.mu.Unlock()
		return
	case f.conflict:
		r.setLocked(e, devices.StateError, f.reason, f.loc)
		r.mu.Unlock()
		return
	}
	moved := e.loc.Path != f.loc.Path
	switch st := e.status.State; {
	case st == devices.StateBusy, st == devices.StateReady && !moved:
		r.mu.Unlock()
		return
	case st == devices.StateError && !moved && r.opts.Now().Before(e.nextProbe):
		r.mu.Unlock()
		return
	case st != devices.StateError || moved:
		r.setLocked(e, devices.StateConnecting, "", f.loc)
	}
	r.mu.Unlock()

	err := r.probe(ctx, e.spec, f.loc)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.probed(e, f.loc, err)
}

// probed records a probe's outcome unless the device changed meanwhile.
func (r *Registry) probed(e *entry, loc Location, err error) {
	if st := e.status.State; st != devices.StateConnecting && st != devices.StateError {
		return
	}
	switch {
	case err == nil:
		e.status.Failures = 0
		r.setLocked(e, devices.StateReady, "", loc)
	case errors.Is(err, devices.ErrBusy):
		e.status.Failures = 0
		r.setLocked(e, devices.StateReady, "open in another handle: "+err.Error(), loc)
	default:
		e.status.Failures++
		wait := r.backoff(e.status.Failures)
		e.nextProbe = r.opts.Now().Add(wait)
		r.log.Warn("device probe failed", "device", e.spec.Name, "failures", e.status.Failures,
			"retry_in", wait, "err", err)
		r.setLocked(e, devices.StateError, err.Error(), loc)
	}
}

func (r *Registry) backoff(failures int) time.Duration {
	d := r.opts.BackoffMin
	for i := 1; i < failures && d < r.opts.BackoffMax; i++ {
		d *= 2
	}
	return min(d, r.opts.BackoffMax)
}

func (r *Registry) probe(ctx context.Context, s Spec, loc Location) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.ProbeTimeout)
	defer cancel()
	if s.Probe != nil {
		return s.Probe(ctx, loc)
	}
	switch s.Transport {
	case TransportSerial:
		return probeSerial(loc.Path)
	case TransportHID:
		dev, err := r.opts.HID.Open(*loc.HID)
		if err != nil {
			return err
		}
		return dev.Close()
	}
	return nil
}

// probeSerial opens and closes the port. go.bug.st/serial opens ports in
// exclusive mode, so a port held by a driver reports busy.
func probeSerial(path string) error {
	p, err := serialport.Open(serialport.Options{Path: path})
	if err != nil {
		var pe *serial.PortError
		if errors.As(err, &pe) && pe.Code() == serial.PortBusy {
			return fmt.Errorf("%w: %w", err, devices.ErrBusy)
		}
		return err
	}
	return p.Close()
}

func (r *Registry) locate(s Spec, d *discovery) found {
	switch s.Transport {
	case TransportPCSC:
		return locatePCSC(s, d)
	case TransportSerial:
		if s.SerialPath != "" {
			return locateSerialPath(s.SerialPath)
		}
		if !d.portsRead {
			d.ports, d.portsErr = r.opts.SerialPorts()
			d.portsRead = true
		}
		return locateSerialUSB(s.SerialUSB, d)
	}
	return r.locateHID(s.HID)
}

func locatePCSC(s Spec, d *discovery) found {
	if d.readersErr != nil {
		return found{reason: "PC/SC readers cannot be listed: " + d.readersErr.Error()}
	}
	var matched []string
	for _, n := range d.readers {
		if strings.Contains(n, s.ReaderName) {
			matched = append(matched, n)
		}
	}
	switch len(matched) {
	case 0:
		return found{reason: fmt.Sprintf("no PC/SC reader name contains %q", s.ReaderName)}
	case 1:
		return found{present: true, loc: Location{Transport: TransportPCSC, Path: matched[0]}}
	}
	return found{present: true, conflict: true, loc: Location{Transport: TransportPCSC},
		reason: fmt.Sprintf("%q matches %d readers (%s): configure a longer part of the name",
			s.ReaderName, len(matched), strings.Join(matched, "; "))}
}

func locateSerialPath(path string) found {
	if _, err := os.Stat(path); err != nil {
		return found{reason: fmt.Sprintf("serial port %s not found: %v", path, unwrapPath(err))}
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		resolved = path
	}
	return found{present: true, loc: Location{Transport: TransportSerial, Path: resolved}}
}

func locateSerialUSB(serialNumber string, d *discovery) found {
	if d.portsErr != nil {
		return found{reason: "serial ports cannot be listed: " + d.portsErr.Error()}
	}
	var matched []string
	for _, p := range d.ports {
		if p.IsUSB && p.SerialNumber == serialNumber {
			matched = append(matched, p.Name)
		}
	}
	switch len(matched) {
	case 0:
		return found{reason: fmt.Sprintf("no USB serial adapter has serial number %q", serialNumber)}
	case 1:
		return found{present: true, loc: Location{Transport: TransportSerial, Path: matched[0]}}
	}
	return found{present: true, conflict: true, loc: Location{Transport: TransportSerial},
		reason: fmt.Sprintf("%d USB serial adapters share serial number %q (%s): configure the port path",
			len(matched), serialNumber, strings.Join(matched, ", "))}
}

func (r *Registry) locateHID(f hidio.Filter) found {
	info, err := hidio.Find(r.opts.HID, f)
	switch {
	case errors.Is(err, hidio.ErrAmbiguous):
		return found{present: true, conflict: true, loc: Location{Transport: TransportHID}, reason: err.Error()}
	case errors.Is(err, devices.ErrNotConnected):
		// The reason names only this device, so another device coming or
		// going does not change it and emit an event.
		return found{reason: fmt.Sprintf("no HID device %s attached", f)}
	case err != nil:
		return found{reason: err.Error()}
	}
	return found{present: true, loc: Location{Transport: TransportHID, Path: info.Path, HID: &info}}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
