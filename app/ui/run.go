package ui

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"permitdesk/app/cardface"
	"permitdesk/app/cli"
	"permitdesk/app/config"
	"permitdesk/app/diag"
	"permitdesk/app/issuance"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/overrides"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
	"permitdesk/app/ui/prefs"
	"permitdesk/devices/registry"
)

// ConfigEnv names the environment variable that points the desktop app at a
// configuration file; unset means config.DefaultPath().
const ConfigEnv = "PERMITDESK_CONFIG"

// Window geometry in device-independent pixels. The screens are laid out for
// at least this size, the common counter monitor of 1280x800 and larger.
const (
	windowWidth  = 1280
	windowHeight = 800
)

// Run opens the desktop window, serving the frontend from assets (which
// contains frontend/dist), and returns the process exit code when the window
// closes.
func Run(assets fs.FS, build BuildInfo) int {
	dist, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		fmt.Fprintln(os.Stderr, "permitdesk: frontend assets:", err)
		return 1
	}
	d, err := newDesktop(build)
	if err != nil {
		fmt.Fprintln(os.Stderr, "permitdesk:", err)
		return 1
	}
	defer d.close()
	app := d.app
	err = wails.Run(windowOptions(d, dist))
	// The window's context has ended, so each running job stops at its next
	// device call; the next start recovers it.
	if !app.waitJobs(jobStopWait) {
		app.log.Warn("jobs still running when the window closed", "waited", jobStopWait)
	}
	if err != nil {
		app.log.Error("window failed", "err", err)
		fmt.Fprintln(os.Stderr, "permitdesk: window:", err)
		return 1
	}
	return 0
}

func windowOptions(d *desktop, dist fs.FS) *options.App {
	app := d.app
	return &options.App{
		Title:            "居住证发证工作站 permitdesk",
		Width:            windowWidth,
		Height:           windowHeight,
		MinWidth:         windowWidth,
		MinHeight:        windowHeight,
		BackgroundColour: &options.RGBA{R: 245, G: 245, B: 245, A: 255},
		AssetServer:      &assetserver.Options{Assets: dist},
		OnStartup: func(ctx context.Context) {
			// Wails never cancels its context, so the services and the jobs
			// run under one that OnShutdown cancels.
			ctx, d.stop = context.WithCancel(ctx)
			app.startup(ctx, runtime.EventsEmit)
			app.log.Info("window started", "version", app.opts.Build.Version)
			d.startServices(ctx)
		},
		OnShutdown: func(context.Context) {
			if d.stop != nil {
				d.stop()
			}
		},
		Bind:           []any{app},
		ErrorFormatter: FormatError,
		Linux:          &linux.Options{ProgramName: "permitdesk", Icon: appIcon(dist)},
	}
}

// appIcon returns the window icon from the frontend build, or nil when the
// build has none (the window then has the desktop's default icon).
func appIcon(dist fs.FS) []byte {
	icon, err := fs.ReadFile(dist, "appicon.png")
	if err != nil {
		return nil
	}
	return icon
}

// desktop is the App with what it owns: the database, the log file and the
// device registry.
type desktop struct {
	app      *App
	registry *registry.Registry
	sync     *appsync.Service
	runner   *StationRunner
	live     *liveDevices
	closers  []func()
	// stop cancels the context of the services and the jobs.
	stop context.CancelFunc
}

func (d *desktop) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// centralPollInterval is how often the status bar's central link is
// checked for changes.
const centralPollInterval = 2 * time.Second

// startServices recovers interrupted address changes, forwards issuance and
// rewrite progress, opens the printer once, and runs the device registry and
// the sync loop with their changes forwarded to the status bar, until the
// window closes.
func (d *desktop) startServices(ctx context.Context) {
	d.app.startRewrite(ctx)
	if d.app.opts.Issuance != nil {
		go d.app.forwardProgress(ctx)
	}
	if d.runner != nil {
		go func() {
			if err := d.runner.Warm(ctx); err != nil {
				d.app.log.Warn("printer not ready at start; jobs wait for it", "err", err)
			}
		}()
	}
	if d.sync != nil {
		if d.app.opts.Config.Central.URL != "" {
			go func() {
				if err := d.sync.Run(ctx); err != nil && ctx.Err() == nil {
					d.app.log.Error("sync stopped", "err", err)
				}
			}()
		}
		go d.app.watchCentral(ctx, centralPollInterval, d.app.centralStatus(ctx))
	}
	if d.registry == nil {
		return
	}
	go func() {
		if err := d.registry.Run(ctx); err != nil && ctx.Err() == nil {
			d.app.log.Error("device registry stopped", "err", err)
		}
	}()
	go d.app.watchDevices(ctx, d.registry)
}

// newDesktop loads the configuration, the logger and the database named by
// ConfigEnv and builds the App and the device registry over them.
func newDesktop(build BuildInfo) (*desktop, error) {
	if generatingBindings {
		return &desktop{app: NewApp(Options{Build: build, Config: config.Default()})}, nil
	}
	d := &desktop{}
	path, explicit := os.Getenv(ConfigEnv), true
	if path == "" {
		path, explicit = config.DefaultPath(), false
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return nil, err
	}

	log, closeLog, err := logging.New(logging.Options{
		Dir: filepath.Join(cfg.DataDir, "logs"), Level: cfg.LogLevel})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { closeLog() })
	log = log.With("station", cfg.StationID, "component", "ui")
	db, err := store.OpenMigrated(context.Background(), cfg.DataDir, log)
	if err != nil {
		d.close()
		return nil, err
	}
	d.closers = append(d.closers, func() { db.Close() })

	// Every service below is built on the devices in use: the file's with
	// the overrides assigned in the Settings screen on top.
	file := cfg.Devices
	ovr := overrides.New(db, overrides.Options{Logger: log})
	list, err := ovr.List(context.Background())
	if err != nil {
		log.Warn("device overrides not all applied; those devices come from the configuration file", "err", err)
	}
	cfg.Devices = overrides.Apply(file, list)

	ops, syncSvc, iss, err := newServices(cfg, db, log)
	if err != nil {
		d.close()
		return nil, err
	}
	o := Options{Build: build, Config: cfg, Prefs: prefs.New(db), Operators: ops, Issuance: iss,
		Applications: syncSvc, Central: syncSvc, Syncer: syncSvc, Houses: syncSvc, Log: log}
	d.sync = syncSvc
	if cfg.Devices.Printer.Port != "" || cfg.Devices.Printer.USBSerial != "" {
		// openRegistry sets d.live before the window starts any job.
		d.runner = newStationRunner(func() config.Config { return d.live.config() }, db, log, iss)
		o.Runner = d.runner
		d.closers = append(d.closers, d.runner.Close)
		o.DeviceHolders = append(o.DeviceHolders, d.runner)
	}
	// The diagnostics open the printer and the rewriter themselves, as
	// `permitdesk diag` does, and keep the check for a port held by another
	// program. The App suspends the job runner and the rewrite desk around
	// each use of the devices, so their open ports are not in the way.
	newDiag := func(c config.Config) Diagnoser {
		return diag.New(diag.Options{Config: c, DB: db, Logger: log.With("component", "diag")})
	}

	// A missing CJK font leaves the window usable. Only the card preview
	// fails, with the reason.
	faces, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile, TemplateDir: cfg.Printing.TemplateDir,
		Set: "full", Logger: log})
	if err != nil {
		log.Error("card preview unavailable", "err", err)
	} else {
		o.Faces = faces
	}

	d.openRewrite(cfg, db, syncSvc, log, &o)

	if err := d.openRegistry(cfg, log, &o, deviceParts{file: file, overrides: ovr, newDiag: newDiag}); err != nil {
		d.close()
		return nil, err
	}
	d.app = NewApp(o)
	return d, nil
}

// jobStopWait is how long closing the window waits for running jobs.
const jobStopWait = 10 * time.Second

// runnerIdle is how long the desktop keeps the printer and the encoder open
// after a job.
const runnerIdle = 30 * time.Second

// newStationRunner returns the runner of issuance jobs on the printer and
// encoder that current names when a job opens them. At the window a retry
// that spoils a card needs a supervisor's approval.
func newStationRunner(current func() config.Config, db *sql.DB, log *slog.Logger,
	iss *issuance.Service) *StationRunner {
	open := func(ctx context.Context) (JobRunner, func(), error) {
		w, closeFn, err := cli.StationWorker(ctx, current(), log, db, iss, true)
		if err != nil {
			return nil, nil, err
		}
		return w, closeFn, nil
	}
	return NewStationRunner(open, runnerIdle, log.With("component", "runner"))
}

// deviceParts is what openRegistry needs besides the configuration in use.
type deviceParts struct {
	// file is the [devices] table of the configuration file.
	file      config.Devices
	overrides *overrides.Service
	newDiag   func(config.Config) Diagnoser
}

// openRegistry builds the registry of the devices in use and the parts
// that a device assignment replaces (see liveDevices): the App's
// DeviceSource, ID card reader and diagnostics.
func (d *desktop) openRegistry(cfg config.Config, log *slog.Logger, o *Options, parts deviceParts) error {
	specs, err := cli.DeviceSpecs(cfg.Devices)
	if err != nil {
		return err
	}
	pcsc := &registry.SCard{}
	d.closers = append(d.closers, func() { pcsc.Close() })
	reg, err := registry.New(registry.Options{Devices: specs, PCSC: pcsc, Logger: log.With("component", "registry")})
	if err != nil {
		return err
	}
	d.registry = reg
	d.live = newLiveDevices(cfg, reg, parts.newDiag, log.With("component", "devices"))
	d.live.runner = d.runner
	o.Devices = d.live.status
	o.Scanner = reg
	o.IDCards = d.live.idcards
	o.Diagnostics = d.live.diag
	o.DeviceSetup = &DeviceSetup{File: parts.file, Overrides: parts.overrides,
		Finder: machineDevices{pcsc: pcsc, file: parts.file, live: d.live}, Reconfigure: d.live}
	return nil
}

// newServices builds the operator, sync and issuance services the way the
// headless commands do. Without central.url the sync service works from its
// local cache only.
func newServices(cfg config.Config, db *sql.DB, log *slog.Logger) (
	*operators.Service, *appsync.Service, *issuance.Service, error) {
	ops := operators.New(db, operators.Options{SessionTimeout: cfg.Issuance.SessionTimeout.Duration, Logger: log})
	so := appsync.Options{DB: db, StationID: cfg.StationID, Log: log, SealKeyFile: cfg.Central.SealKeyFile}
	if cfg.Central.URL != "" {
		client, err := appsync.NewClient(appsync.ClientOptions{BaseURL: cfg.Central.URL, CAFile: cfg.Central.CAFile,
			CertFile: cfg.Central.CertFile, KeyFile: cfg.Central.KeyFile, Timeout: cfg.Central.Timeout.Duration})
		if err != nil {
			return nil, nil, nil, err
		}
		so.Client = client
	}
	syncSvc, err := appsync.New(so)
	if err != nil {
		return nil, nil, nil, err
	}
	iss := issuance.New(db, issuance.Options{StationID: cfg.StationID, Applications: syncSvc,
		Revocations: issuance.SyncRevocations{Sync: syncSvc}, Outbox: issuance.SyncOutbox{Sync: syncSvc},
		BlockWhenRevocationUnknown: cfg.Issuance.OfflineRevocationPolicy == "block",
		Operators:                  ops, Logger: log})
	return ops, syncSvc, iss, nil
}

// openRewrite sets the App's address-rewrite service when the configuration
// names a desk reader, a rewriter and a card-key source. Otherwise it
// records what is missing, or why the service did not start, for the
// Rewrite screen to show.
func (d *desktop) openRewrite(cfg config.Config, db *sql.DB, syncSvc *appsync.Service, log *slog.Logger, o *Options) {
	if o.RewriteMissing = rewriteMissing(cfg); len(o.RewriteMissing) > 0 {
		log.Info("address rewrite not configured", "missing", o.RewriteMissing)
		return
	}
	svc, strip, closeRewrite, err := openRewrite(cfg, db, syncSvc, log)
	if err != nil {
		log.Error("address rewrite unavailable", "err", err)
		o.RewriteError = err.Error()
		return
	}
	d.closers = append(d.closers, closeRewrite)
	o.Rewrite = svc
	o.DeviceHolders = append(o.DeviceHolders, strip)
}
