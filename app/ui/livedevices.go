package ui

import (
	"context"
	"log/slog"
	"sync"

	"permitdesk/app/cli"
	"permitdesk/app/config"
	"permitdesk/app/diag"
	"permitdesk/app/operators"
	"permitdesk/devices/idcard"
	"permitdesk/devices/registry"
)

// swappable is a value that another goroutine may replace while it is
// used.
type swappable[T any] struct {
	mu sync.RWMutex
	v  T
}

func (s *swappable[T]) get() T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.v
}

func (s *swappable[T]) set(v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v = v
}

// liveDeviceSource is the DeviceSource in use, replaced when the devices
// are assigned anew.
type liveDeviceSource struct{ swappable[DeviceSource] }

// DeviceStatuses returns the statuses of the current source.
func (l *liveDeviceSource) DeviceStatuses(ctx context.Context) []DeviceStatus {
	return l.get().DeviceStatuses(ctx)
}

// liveIDReader is the IDCardReader in use, replaced when the devices are
// assigned anew.
type liveIDReader struct{ swappable[IDCardReader] }

// ReadIdentity reads through the current reader.
func (l *liveIDReader) ReadIdentity(ctx context.Context) (idcard.Identity, error) {
	return l.get().ReadIdentity(ctx)
}

// liveDiagnoser is the Diagnoser in use, replaced when the devices are
// assigned anew.
type liveDiagnoser struct{ swappable[Diagnoser] }

// Run runs the current Diagnoser's checks.
func (l *liveDiagnoser) Run(ctx context.Context, o diag.RunOptions) (diag.Report, error) {
	return l.get().Run(ctx, o)
}

// Charts counts the jobs through the current Diagnoser.
func (l *liveDiagnoser) Charts(ctx context.Context, req diag.ChartRequest) (diag.Charts, error) {
	return l.get().Charts(ctx, req)
}

// RunAction runs a device test on the current devices.
func (l *liveDiagnoser) RunAction(ctx context.Context, sess *operators.Session, req diag.ActionRequest) (
	diag.Check, error) {
	return l.get().RunAction(ctx, sess, req)
}

// APDU sends a console APDU to a current reader.
func (l *liveDiagnoser) APDU(ctx context.Context, sess *operators.Session, req diag.APDURequest) (
	diag.APDUResult, error) {
	return l.get().APDU(ctx, sess, req)
}

// PrinterCommand sends a console command to the current printer.
func (l *liveDiagnoser) PrinterCommand(ctx context.Context, sess *operators.Session,
	req diag.PrinterCommandRequest) (diag.PrinterCommandResult, error) {
	return l.get().PrinterCommand(ctx, sess, req)
}

// BundleToFile writes a support bundle from the current Diagnoser.
func (l *liveDiagnoser) BundleToFile(ctx context.Context, path string, o diag.BundleOptions) (
	diag.BundleSummary, error) {
	return l.get().BundleToFile(ctx, path, o)
}

// liveDevices is the device configuration of the running window and the
// parts built from it. ReconfigureDevices replaces them, so a device
// assigned in the Settings screen is used without a restart.
type liveDevices struct {
	registry *registry.Registry
	status   *liveDeviceSource
	idcards  *liveIDReader
	diag     *liveDiagnoser
	// newDiag builds the diagnostics over a configuration.
	newDiag func(config.Config) Diagnoser
	// runner runs card jobs; nil when no printer was configured at start.
	runner *StationRunner
	log    *slog.Logger

	// start is the [devices] table the window started with.
	start config.Devices

	mu  sync.Mutex
	cfg config.Config
}

func newLiveDevices(cfg config.Config, reg *registry.Registry, newDiag func(config.Config) Diagnoser,
	log *slog.Logger) *liveDevices {
	l := &liveDevices{registry: reg, status: &liveDeviceSource{}, idcards: &liveIDReader{},
		diag: &liveDiagnoser{}, newDiag: newDiag, log: log, start: cfg.Devices, cfg: cfg}
	l.install(cfg)
	return l
}

// config returns the configuration with the devices in use.
func (l *liveDevices) config() config.Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

// install builds the status source, the ID card reader and the
// diagnostics over cfg.
func (l *liveDevices) install(cfg config.Config) {
	l.status.set(RegistryDevices{Registry: l.registry, Config: cfg.Devices})
	l.idcards.set(ConfigIDReader{Config: cfg.Devices.IDReader, Registry: l.registry})
	l.diag.set(l.newDiag(cfg))
}

// ReconfigureDevices makes d the devices of the window: the registry
// tracks them, the status bar, the ID card reads and the diagnostics use
// them, and card jobs open them once no job is in progress. It returns
// every slot whose device differs from the one at start in a part that
// takes it only at the next start (see restartSlots).
func (l *liveDevices) ReconfigureDevices(ctx context.Context, d config.Devices) ([]string, error) {
	specs, err := cli.DeviceSpecs(d)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if err := l.registry.Reconfigure(specs); err != nil {
		l.mu.Unlock()
		return nil, err
	}
	l.cfg.Devices = d
	cfg := l.cfg
	l.mu.Unlock()

	l.install(cfg)
	if l.runner != nil {
		l.runner.Reopen()
	}
	restart := restartSlots(l.start, d, l.runner != nil)
	l.log.Info("devices reconfigured", "devices", len(specs), "restart_needed", restart)
	go l.registry.Scan(ctx)
	return restart, nil
}

// restartSlots returns the slots whose device in next differs from start
// in a part of the window built once at start. The address rewrite opens
// its card reader (the desk reader, else the encoder's) and its key source
// (the PSAM) when the window starts, and takes the rewriter's port from
// the configuration then. A window without a card job runner, because it
// started without a printer, runs no card jobs on a printer assigned later.
func restartSlots(start, next config.Devices, hasRunner bool) []string {
	var out []string
	deskReader := func(d config.Devices) string {
		if d.DeskReader.Name != "" {
			return d.DeskReader.Name
		}
		return d.Encoder.Name
	}
	switch {
	case start.DeskReader.Name != next.DeskReader.Name:
		out = append(out, "desk_reader")
	case deskReader(start) != deskReader(next):
		out = append(out, "encoder")
	}
	if start.PSAM.Name != next.PSAM.Name {
		out = append(out, "psam")
	}
	if !hasRunner && !samePort(start.Printer, next.Printer) {
		out = append(out, "printer")
	}
	if !samePort(start.Rewriter, next.Rewriter) {
		out = append(out, "rewriter")
	}
	return out
}

func samePort(a, b config.SerialDevice) bool {
	return a.Port == b.Port && a.USBSerial == b.USBSerial
}

// machineDevices lists the attached devices through the window's PC/SC
// context, searching serial port links next to the ports that the file
// and the devices in use name.
type machineDevices struct {
	pcsc registry.ReaderLister
	file config.Devices
	live *liveDevices
}

// Discover lists the devices attached now.
func (m machineDevices) Discover(ctx context.Context) registry.Found {
	return registry.Discover(ctx, cli.DiscoverOptions(m.pcsc, m.file, m.live.config().Devices))
}
