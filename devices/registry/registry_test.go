package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial/enumerator"

	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idreader"
	"permitdesk/devices/registry"
	"permitdesk/devices/serialport"
	idreadersim "permitdesk/devices/sim/idreader"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)} }

var ctx = context.Background()

func newRegistry(t *testing.T, opts registry.Options) *registry.Registry {
	t.Helper()
	r, err := registry.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func state(t *testing.T, r *registry.Registry, name string) registry.Status {
	t.Helper()
	st, err := r.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func wantState(t *testing.T, r *registry.Registry, name string, want devices.State) registry.Status {
	t.Helper()
	st := state(t, r, name)
	if st.State != want {
		t.Fatalf("%s is %s (%s), want %s", name, st.State, st.Reason, want)
	}
	return st
}

func hidSpec(name, serial string) registry.Spec {
	return registry.Spec{Name: name, Kind: devices.KindIDReader, Transport: registry.TransportHID,
		HID: hidio.Filter{VendorID: 0x0400, ProductID: 0xc35a, Serial: serial}}
}

func plugReader(t *testing.T, bus *hidio.Emulator, path, serial string) {
	t.Helper()
	if _, err := bus.Plug(idreadersim.ReaderHIDInfo(path, serial), 0); err != nil {
		t.Fatal(err)
	}
}

// drain returns the events queued on sub without waiting for more.
func drain(t *testing.T, sub *registry.Subscription) []registry.Event {
	t.Helper()
	var out []registry.Event
	for {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		ev, err := sub.Next(c)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
}

func transitions(evs []registry.Event) string {
	var s []string
	for _, ev := range evs {
		s = append(s, fmt.Sprintf("%s:%s>%s", ev.Device, ev.From, ev.Status.State))
	}
	return strings.Join(s, " ")
}

func TestHIDUnplugReplug(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{Devices: []registry.Spec{hidSpec("idreader", "R1")}, HID: bus})
	sub := r.Subscribe()
	defer sub.Close()

	r.Scan(ctx)
	wantState(t, r, "idreader", devices.StateAbsent)
	plugReader(t, bus, "usb/1-1", "R1")
	r.Scan(ctx)
	if st := wantState(t, r, "idreader", devices.StateReady); st.Path != "usb/1-1" {
		t.Errorf("path = %s", st.Path)
	}
	bus.Unplug("usb/1-1")
	r.Scan(ctx)
	wantState(t, r, "idreader", devices.StateAbsent)
	plugReader(t, bus, "usb/1-2", "R1")
	r.Scan(ctx)
	if st := wantState(t, r, "idreader", devices.StateReady); st.Path != "usb/1-2" {
		t.Errorf("path after replug = %s", st.Path)
	}

	evs := drain(t, sub)
	want := "idreader:absent>absent idreader:absent>connecting idreader:connecting>ready " +
		"idreader:ready>absent idreader:absent>connecting idreader:connecting>ready"
	if got := transitions(evs); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	if evs[1].Type != registry.EventPlugged || evs[3].Type != registry.EventUnplugged {
		t.Errorf("event types %s, %s", evs[1].Type, evs[3].Type)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, ev.Seq)
		}
	}
}

func TestIdenticalReadersSwapOrder(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus,
		Devices: []registry.Spec{hidSpec("reader-a", "S1"), hidSpec("reader-b", "S2")}})
	plugReader(t, bus, "usb/1-1", "S1")
	plugReader(t, bus, "usb/1-2", "S2")
	r.Scan(ctx)
	if a, b := state(t, r, "reader-a"), state(t, r, "reader-b"); a.Path != "usb/1-1" || b.Path != "usb/1-2" {
		t.Fatalf("paths a=%s b=%s", a.Path, b.Path)
	}

	bus.Unplug("usb/1-1")
	bus.Unplug("usb/1-2")
	plugReader(t, bus, "usb/1-1", "S2")
	plugReader(t, bus, "usb/1-2", "S1")
	r.Scan(ctx)

	a := wantState(t, r, "reader-a", devices.StateReady)
	b := wantState(t, r, "reader-b", devices.StateReady)
	if a.Path != "usb/1-2" || b.Path != "usb/1-1" {
		t.Errorf("after the swap a=%s b=%s, want a=usb/1-2 b=usb/1-1", a.Path, b.Path)
	}
	err := r.Use(ctx, "reader-a", func(_ context.Context, loc registry.Location) error {
		if loc.HID == nil || loc.HID.Serial != "S1" {
			t.Errorf("reader-a handed device %+v", loc.HID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIdenticalReadersWithoutSerial(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Devices: []registry.Spec{hidSpec("idreader", "")}})
	plugReader(t, bus, "usb/1-1", "S1")
	plugReader(t, bus, "usb/1-2", "S2")
	r.Scan(ctx)
	st := wantState(t, r, "idreader", devices.StateError)
	if !strings.Contains(st.Reason, `"S1"`) || !strings.Contains(st.Reason, `"S2"`) {
		t.Errorf("reason %q does not list the serial numbers", st.Reason)
	}
}

func TestErrorWhileBusy(t *testing.T) {
	bus := hidio.NewEmulator()
	clk := newClock()
	r := newRegistry(t, registry.Options{HID: bus, Now: clk.Now, BackoffMin: time.Second,
		Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	plugReader(t, bus, "usb/1-1", "R1")
	r.Scan(ctx)
	sub := r.Subscribe()
	defer sub.Close()

	fault := fmt.Errorf("read text: %w", devices.ErrTimeout)
	err := r.Use(ctx, "idreader", func(context.Context, registry.Location) error {
		wantState(t, r, "idreader", devices.StateBusy)
		if err := r.Use(ctx, "idreader", nil); !errors.Is(err, devices.ErrBusy) {
			t.Errorf("second Use while busy: %v, want devices.ErrBusy", err)
		}
		return fault
	})
	if !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("Use returned %v", err)
	}
	st := wantState(t, r, "idreader", devices.StateError)
	if st.Reason != fault.Error() {
		t.Errorf("reason = %q", st.Reason)
	}
	if err := r.Use(ctx, "idreader", nil); !errors.Is(err, devices.ErrNotConnected) {
		t.Errorf("Use in error state: %v, want devices.ErrNotConnected", err)
	}

	r.Scan(ctx)
	wantState(t, r, "idreader", devices.StateError) // backoff not over
	clk.Advance(time.Second)
	r.Scan(ctx)
	wantState(t, r, "idreader", devices.StateReady)
	if got := transitions(drain(t, sub)); got != "idreader:ready>busy idreader:busy>error idreader:error>ready" {
		t.Errorf("events %s", got)
	}
}

func TestCardErrorLeavesReady(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	plugReader(t, bus, "usb/1-1", "R1")
	r.Scan(ctx)
	err := r.Use(ctx, "idreader", func(context.Context, registry.Location) error {
		return &devices.Error{Op: "find card", Err: devices.ErrNoCard}
	})
	if !errors.Is(err, devices.ErrNoCard) {
		t.Fatal(err)
	}
	wantState(t, r, "idreader", devices.StateReady)
}

func TestProbeBackoffDoubles(t *testing.T) {
	clk := newClock()
	bus := hidio.NewEmulator()
	spec := hidSpec("idreader", "R1")
	probes := 0
	spec.Probe = func(context.Context, registry.Location) error {
		probes++
		return errors.New("SAM self-check failed")
	}
	r := newRegistry(t, registry.Options{HID: bus, Now: clk.Now, BackoffMin: time.Second,
		BackoffMax: 4 * time.Second, Devices: []registry.Spec{spec}})
	plugReader(t, bus, "usb/1-1", "R1")
	for _, step := range []struct {
		advance time.Duration
		probes  int
	}{{0, 1}, {999 * time.Millisecond, 1}, {time.Millisecond, 2}, {time.Second, 2}, {time.Second, 3},
		{3 * time.Second, 3}, {time.Second, 4}, {4 * time.Second, 5}} {
		clk.Advance(step.advance)
		r.Scan(ctx)
		if probes != step.probes {
			t.Fatalf("after +%s: %d probes, want %d", step.advance, probes, step.probes)
		}
	}
	if st := wantState(t, r, "idreader", devices.StateError); st.Failures != 5 {
		t.Errorf("failures = %d", st.Failures)
	}
}

func TestProbeBusyIsReady(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	plugReader(t, bus, "usb/1-1", "R1")
	held, err := bus.Open(idreadersim.ReaderHIDInfo("usb/1-1", "R1"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	r.Scan(ctx)
	if st := wantState(t, r, "idreader", devices.StateReady); !strings.Contains(st.Reason, "another handle") {
		t.Errorf("reason = %q", st.Reason)
	}
}

func TestLateSubscriberSnapshot(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus,
		Devices: []registry.Spec{hidSpec("reader-a", "S1"), hidSpec("reader-b", "S2")}})
	early := r.Subscribe()
	defer early.Close()

	plugReader(t, bus, "usb/1-1", "S1")
	r.Scan(ctx)
	plugReader(t, bus, "usb/1-2", "S2")
	bus.Unplug("usb/1-1")
	r.Scan(ctx)

	late := r.Subscribe()
	defer late.Close()
	if !reflect.DeepEqual(late.Snapshot, r.Snapshot()) {
		t.Fatal("late snapshot differs from the registry's")
	}

	// Replaying the early subscriber's events over its snapshot must give
	// the late subscriber's snapshot.
	replayed := map[string]registry.Status{}
	for _, st := range early.Snapshot {
		replayed[st.Name] = st
	}
	for _, ev := range drain(t, early) {
		if ev.Seq > late.Seq {
			t.Fatalf("event %d is newer than the late snapshot (%d)", ev.Seq, late.Seq)
		}
		replayed[ev.Device] = ev.Status
	}
	for _, st := range late.Snapshot {
		if !reflect.DeepEqual(replayed[st.Name], st) {
			t.Errorf("%s: replayed %+v\n          snapshot %+v", st.Name, replayed[st.Name], st)
		}
	}

	bus.Unplug("usb/1-2")
	r.Scan(ctx)
	e, l := drain(t, early), drain(t, late)
	if len(l) != 1 || !reflect.DeepEqual(e, l) {
		t.Errorf("after subscribing both must see the same events: early %v late %v", transitions(e), transitions(l))
	}
	if l[0].Seq != late.Seq+1 {
		t.Errorf("first event after the snapshot has seq %d, want %d", l[0].Seq, late.Seq+1)
	}
}

func TestSubscriberFellBehind(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	sub := r.Subscribe()
	for i := 0; i <= registry.MaxQueue/2; i++ {
		plugReader(t, bus, "usb/1-1", "R1")
		r.Scan(ctx)
		bus.Unplug("usb/1-1")
		r.Scan(ctx)
	}
	var err error
	for err == nil {
		_, err = sub.Next(ctx)
	}
	if !errors.Is(err, registry.ErrFellBehind) {
		t.Errorf("err = %v, want ErrFellBehind", err)
	}
}

type fakeLister struct {
	names []string
	err   error
}

func (f *fakeLister) List(context.Context) ([]string, error) { return f.names, f.err }

func TestPCSCPresence(t *testing.T) {
	pcsc := &fakeLister{}
	specs := []registry.Spec{
		{Name: "encoder", Kind: devices.KindEncoder, Transport: registry.TransportPCSC, ReaderName: "Virtual PCD 00 00"},
		{Name: "psam", Kind: devices.KindPSAM, Transport: registry.TransportPCSC, ReaderName: "Virtual PCD"},
	}
	r := newRegistry(t, registry.Options{PCSC: pcsc, HID: hidio.NewEmulator(), Devices: specs})
	r.Scan(ctx)
	wantState(t, r, "encoder", devices.StateAbsent)

	pcsc.names = []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}
	r.Scan(ctx)
	if st := wantState(t, r, "encoder", devices.StateReady); st.Path != "Virtual PCD 00 00" {
		t.Errorf("encoder path %q", st.Path)
	}
	if st := wantState(t, r, "psam", devices.StateError); !strings.Contains(st.Reason, "matches 2 readers") {
		t.Errorf("psam reason %q", st.Reason)
	}

	pcsc.err = errors.New("SCARD_E_NO_SERVICE")
	r.Scan(ctx)
	if st := wantState(t, r, "encoder", devices.StateAbsent); !strings.Contains(st.Reason, "SCARD_E_NO_SERVICE") {
		t.Errorf("reason %q", st.Reason)
	}
}

func TestSCardListsLivePCSCD(t *testing.T) {
	var s registry.SCard
	defer s.Close()
	names, err := s.List(ctx)
	if err != nil {
		t.Skipf("pcscd not reachable: %v", err)
	}
	t.Logf("readers: %q", names)
}

func TestSerialEmulatorStopStart(t *testing.T) {
	link := filepath.Join(t.TempDir(), "idreader")
	spec := registry.Spec{Name: "idreader", Kind: devices.KindIDReader, Transport: registry.TransportSerial,
		SerialPath: link, Probe: func(ctx context.Context, loc registry.Location) error {
			rd, err := idreader.OpenSerial(serialport.Options{Path: loc.Path, Baud: 115200}, idreader.Options{})
			if err != nil {
				return err
			}
			defer rd.Close()
			return rd.Status(ctx)
		}}
	r := newRegistry(t, registry.Options{Devices: []registry.Spec{spec}, HID: hidio.NewEmulator(), BackoffMin: time.Nanosecond})
	r.Scan(ctx)
	wantState(t, r, "idreader", devices.StateAbsent)

	stop := startSerialSim(t, link)
	r.Scan(ctx)
	first := wantState(t, r, "idreader", devices.StateReady)
	stop()
	r.Scan(ctx)
	wantState(t, r, "idreader", devices.StateAbsent)

	stop = startSerialSim(t, link)
	defer stop()
	r.Scan(ctx)
	second := wantState(t, r, "idreader", devices.StateReady)
	for _, st := range []registry.Status{first, second} {
		if !strings.HasPrefix(st.Path, "/dev/pts/") {
			t.Errorf("path %s is not the resolved pseudo-terminal", st.Path)
		}
	}
}

func startSerialSim(t *testing.T, link string) (stop func()) {
	t.Helper()
	emu := idreadersim.NewEmulator(nil, nil)
	srv, err := idreadersim.NewSerial(emu, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(c) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("emulator: %v", err)
			}
		})
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	cases := []registry.Spec{
		{Name: "", Transport: registry.TransportHID, HID: hidio.Filter{VendorID: 1}},
		{Name: "x", Transport: "usb"},
		{Name: "x", Transport: registry.TransportPCSC},
		{Name: "x", Transport: registry.TransportSerial},
		{Name: "x", Transport: registry.TransportHID},
	}
	for _, s := range cases {
		if _, err := registry.New(registry.Options{Devices: []registry.Spec{s}}); err == nil {
			t.Errorf("spec %+v accepted", s)
		}
	}
	dup := []registry.Spec{hidSpec("a", ""), hidSpec("a", "")}
	if _, err := registry.New(registry.Options{Devices: dup}); err == nil {
		t.Error("duplicate names accepted")
	}
}

func TestUnplugWhileBusy(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	plugReader(t, bus, "usb/1-1", "R1")
	r.Scan(ctx)
	err := r.Use(ctx, "idreader", func(context.Context, registry.Location) error {
		bus.Unplug("usb/1-1")
		r.Scan(ctx)
		return fmt.Errorf("read: %w", devices.ErrNotConnected)
	})
	if !errors.Is(err, devices.ErrNotConnected) {
		t.Fatalf("Use returned %v", err)
	}
	wantState(t, r, "idreader", devices.StateAbsent)
}

func TestSerialByUSBSerialNumber(t *testing.T) {
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyUSB0", IsUSB: true, SerialNumber: "FT0002"},
		{Name: "/dev/ttyUSB1", IsUSB: true, SerialNumber: "FT0001"},
		{Name: "/dev/ttyUSB2", IsUSB: true, SerialNumber: "DUP"},
		{Name: "/dev/ttyUSB3", IsUSB: true, SerialNumber: "DUP"},
		{Name: "/dev/ttyS0"},
	}
	spec := func(name, serial string) registry.Spec {
		return registry.Spec{Name: name, Kind: devices.KindPrinter, Transport: registry.TransportSerial,
			SerialUSB: serial, Probe: func(context.Context, registry.Location) error { return nil }}
	}
	r := newRegistry(t, registry.Options{HID: hidio.NewEmulator(),
		SerialPorts: func() ([]*enumerator.PortDetails, error) { return ports, nil },
		Devices:     []registry.Spec{spec("printer", "FT0001"), spec("rewriter", "FT0009"), spec("dup", "DUP")}})
	r.Scan(ctx)
	if st := wantState(t, r, "printer", devices.StateReady); st.Path != "/dev/ttyUSB1" {
		t.Errorf("printer path %s, want /dev/ttyUSB1", st.Path)
	}
	if st := wantState(t, r, "rewriter", devices.StateAbsent); !strings.Contains(st.Reason, "FT0009") {
		t.Errorf("rewriter reason %q", st.Reason)
	}
	if st := wantState(t, r, "dup", devices.StateError); !strings.Contains(st.Reason, "ttyUSB3") {
		t.Errorf("dup reason %q", st.Reason)
	}
}

// waitFor returns the first event for which match holds, failing after 5s.
func waitFor(t *testing.T, sub *registry.Subscription, match func(registry.Event) bool) registry.Event {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(c)
		if err != nil {
			t.Fatalf("waiting for an event: %v", err)
		}
		if match(ev) {
			return ev
		}
	}
}

func TestRunFollowsHotPlug(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Interval: 10 * time.Millisecond,
		Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	sub := r.Subscribe()
	defer sub.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()

	plugReader(t, bus, "usb/1-1", "R1")
	waitFor(t, sub, func(ev registry.Event) bool { return ev.Status.State == devices.StateReady })
	bus.Unplug("usb/1-1")
	ev := waitFor(t, sub, func(ev registry.Event) bool { return ev.Type == registry.EventUnplugged })
	if ev.Status.Path != "" || ev.From != devices.StateReady {
		t.Errorf("unplug event %+v", ev)
	}

	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestDiscoverListsEverySource(t *testing.T) {
	dir := t.TempDir()
	stop := startSerialSim(t, filepath.Join(dir, "idreader.tty"))
	defer stop()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "notes.txt"), filepath.Join(dir, "notes.link")); err != nil {
		t.Fatal(err)
	}
	node, err := filepath.EvalSymlinks(filepath.Join(dir, "idreader.tty"))
	if err != nil {
		t.Fatal(err)
	}
	bus := hidio.NewEmulator()
	plugReader(t, bus, "usb/1-2", "R2")
	plugReader(t, bus, "usb/1-1", "R1")
	ports := []*enumerator.PortDetails{
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "FT0001", Product: "FT232R"},
		{Name: node, IsUSB: true, VID: "067b", PID: "2303", SerialNumber: "PL01"},
	}
	found := registry.Discover(ctx, registry.DiscoverOptions{
		PCSC:        &fakeLister{names: []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}},
		HID:         bus,
		SerialPorts: func() ([]*enumerator.PortDetails, error) { return ports, nil },
		LinkDirs:    []string{dir, filepath.Join(dir, "missing")},
	})

	if want := []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}; !reflect.DeepEqual(found.Readers, want) {
		t.Errorf("readers %q, want %q", found.Readers, want)
	}
	if found.ReadersError != "" || found.SerialError != "" || found.HIDError != "" {
		t.Errorf("errors %q %q %q", found.ReadersError, found.SerialError, found.HIDError)
	}
	var paths []string
	for _, p := range found.SerialPorts {
		paths = append(paths, p.Path)
	}
	want := []string{"/dev/ttyUSB0", node, filepath.Join(dir, "idreader.tty")}
	slices.Sort(want)
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("serial ports %q, want %q", paths, want)
	}
	link, ok := found.Port(filepath.Join(dir, "idreader.tty"))
	if !ok {
		t.Fatal("the emulator's link is not listed")
	}
	if link.Device != node {
		t.Errorf("link device %q, want %q", link.Device, node)
	}
	if !link.USB || link.SerialNumber != "PL01" || link.VendorID != "067b" {
		t.Errorf("link did not take the USB details of its node: %+v", link)
	}
	if usb, _ := found.Port("/dev/ttyUSB0"); usb.SerialNumber != "FT0001" || usb.Product != "FT232R" || usb.Device != "" {
		t.Errorf("USB port %+v", usb)
	}
	if len(found.HID) != 2 || found.HID[0].Serial != "R1" || found.HID[1].Serial != "R2" {
		t.Errorf("HID devices %+v, want R1 then R2", found.HID)
	}
}

func TestDiscoverReportsFailedSources(t *testing.T) {
	found := registry.Discover(ctx, registry.DiscoverOptions{
		PCSC:        &fakeLister{err: errors.New("connect to pcscd: SCARD_E_NO_SERVICE")},
		HID:         hidio.NewEmulator(),
		SerialPorts: func() ([]*enumerator.PortDetails, error) { return nil, errors.New("permission denied") },
	})
	if !strings.Contains(found.ReadersError, "SCARD_E_NO_SERVICE") {
		t.Errorf("readers error %q", found.ReadersError)
	}
	if !strings.Contains(found.SerialError, "permission denied") {
		t.Errorf("serial error %q", found.SerialError)
	}
	if found.Readers == nil || found.SerialPorts == nil || found.HID == nil {
		t.Error("a failed source must give an empty list, not nil, so JSON shows []")
	}
	if noPCSC := registry.Discover(ctx, registry.DiscoverOptions{HID: hidio.NewEmulator(),
		SerialPorts: func() ([]*enumerator.PortDetails, error) { return nil, nil }}); noPCSC.ReadersError == "" {
		t.Error("no PC/SC lister must be reported")
	}
}

func TestLinkDirs(t *testing.T) {
	got := registry.LinkDirs("/tmp/station/printer.tty", "", "/dev/ttyUSB0", "/tmp/station/rewriter.tty",
		"relative/port", "/dev/serial/by-id/usb-FTDI")
	want := []string{"/tmp/station", "/dev/serial/by-id"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LinkDirs = %q, want %q", got, want)
	}
}

func TestReconfigureKeepsAndReplaces(t *testing.T) {
	bus := hidio.NewEmulator()
	pcsc := &fakeLister{names: []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}}
	encoder := registry.Spec{Name: "encoder", Kind: devices.KindEncoder, Transport: registry.TransportPCSC,
		ReaderName: "Virtual PCD 00 00"}
	r := newRegistry(t, registry.Options{PCSC: pcsc, HID: bus,
		Devices: []registry.Spec{encoder, hidSpec("idreader", "R1"), hidSpec("old", "R9")}})
	plugReader(t, bus, "usb/1-1", "R1")
	plugReader(t, bus, "usb/1-2", "R2")
	r.Scan(ctx)
	wantState(t, r, "encoder", devices.StateReady)
	wantState(t, r, "idreader", devices.StateReady)
	sub := r.Subscribe()
	defer sub.Close()

	moved := encoder
	moved.ReaderName = "Virtual PCD 00 01"
	err := r.Reconfigure([]registry.Spec{hidSpec("scanner", "R2"), moved, hidSpec("idreader", "R1")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range r.Snapshot() {
		names = append(names, st.Name)
	}
	if want := []string{"scanner", "encoder", "idreader"}; !reflect.DeepEqual(names, want) {
		t.Errorf("devices %q, want %q", names, want)
	}
	if st := wantState(t, r, "encoder", devices.StateAbsent); st.Identity != "pcsc reader Virtual PCD 00 01" {
		t.Errorf("encoder identity %q", st.Identity)
	}
	wantState(t, r, "idreader", devices.StateReady)
	wantState(t, r, "scanner", devices.StateAbsent)
	if _, err := r.Status("old"); !errors.Is(err, registry.ErrUnknownDevice) {
		t.Errorf("removed device: %v, want ErrUnknownDevice", err)
	}
	evs := drain(t, sub)
	if got := transitions(evs); got != "scanner:absent>absent encoder:ready>absent old:absent>absent" {
		t.Errorf("events %s", got)
	}
	if last := evs[len(evs)-1]; last.Status.Reason != "removed from the configuration" {
		t.Errorf("removal reason %q", last.Status.Reason)
	}

	r.Scan(ctx)
	if st := wantState(t, r, "encoder", devices.StateReady); st.Path != "Virtual PCD 00 01" {
		t.Errorf("encoder path %q after the scan", st.Path)
	}
	wantState(t, r, "scanner", devices.StateReady)
}

func TestReconfigureRejectsBadSpecs(t *testing.T) {
	bus := hidio.NewEmulator()
	r := newRegistry(t, registry.Options{HID: bus, Devices: []registry.Spec{hidSpec("idreader", "R1")}})
	for _, specs := range [][]registry.Spec{
		{hidSpec("a", ""), hidSpec("a", "")},
		{{Name: "printer", Transport: registry.TransportSerial}},
	} {
		if err := r.Reconfigure(specs); err == nil {
			t.Errorf("specs %+v accepted", specs)
		}
	}
	if snap := r.Snapshot(); len(snap) != 1 || snap[0].Name != "idreader" {
		t.Errorf("a rejected Reconfigure changed the registry: %+v", snap)
	}
}
