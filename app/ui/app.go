// Package ui is the thin layer between the Wails window and the
// application's services. App's exported methods are bound to the frontend,
// which calls them through generated TypeScript (frontend/wailsjs); they take
// and return value DTOs, and a failure reaches the frontend as {code,
// message} (see Error). Events from Go to the frontend are named by the
// Event... constants, mirrored in frontend/src/events.ts.
//
// The package holds no business logic: each method checks its arguments,
// calls a service and converts the result.
package ui

import (
	"context"
	"log/slog"
	"sync"

	"permitdesk/app/config"
	"permitdesk/app/issuance"
	"permitdesk/app/logging"
	"permitdesk/app/operators"
	"permitdesk/app/ui/prefs"
)

// Languages the frontend has translations for; the first is the default.
var Languages = []string{"zh-CN", "en"}

// Options configure NewApp.
type Options struct {
	// Build identifies the binary; Version returns it.
	Build BuildInfo
	// Config is the loaded configuration; required.
	Config config.Config
	// Prefs stores the language; nil keeps it in memory only.
	Prefs *prefs.Store
	// Devices reports device states; nil means ConfigDevices over
	// Config.Devices.
	Devices DeviceSource
	// Operators logs operators in and approves supervisor actions; nil
	// leaves the window without login.
	Operators *operators.Service
	// Issuance lists and moves issuance jobs; nil leaves the Queue empty.
	Issuance *issuance.Service
	// Runner drives issuance jobs on the printer and encoder; nil leaves
	// jobs queued for `permitdesk issue`.
	Runner JobRunner
	// Applications finds approved applications; nil leaves Issue without
	// search.
	Applications Applications
	// Central reports the central link; nil reports it from the
	// configuration alone.
	Central CentralLink
	// Houses looks house codes up for the Rewrite screen; nil disables it.
	Houses HouseRegister
	// Syncer runs a sync round for the Settings screen; nil disables it.
	Syncer Syncer
	// Scanner looks for devices again for the Settings screen's test
	// button; nil makes the button only refresh the status.
	Scanner DeviceScanner
	// Diagnostics runs the checks of the Diagnostics screen; nil disables
	// it.
	Diagnostics Diagnoser
	// DeviceHolders are the parts of the window that keep devices open
	// between uses (the job runner, the rewrite desk's rewriter), which the
	// diagnostics suspend while they use the devices.
	DeviceHolders []DeviceHolder
	// IDCards reads ID cards for the Issue screen; nil disables the button.
	IDCards IDCardReader
	// Faces renders card previews; nil leaves Issue without a preview.
	Faces CardPreviewer
	// Rewrite reads permit cards at the desk reader and changes their
	// address for the Rewrite screen. Nil leaves the screen with the house
	// code lookup only.
	Rewrite AddressRewriter
	// RewriteMissing lists the configuration keys that the address rewrite
	// needs and lacks, such as devices.rewriter.port, when Rewrite is nil.
	RewriteMissing []string
	// RewriteError is the error that kept the address rewrite from
	// starting, when Rewrite is nil and nothing is missing.
	RewriteError string
	// DeviceSetup lets technicians and supervisors assign devices in the
	// Settings screen; nil leaves the devices as the configuration sets
	// them.
	DeviceSetup *DeviceSetup
	// Log receives the layer's log lines; nil discards them.
	Log *slog.Logger
}

// App is the object bound to the frontend.
type App struct {
	opts    Options
	devices DeviceSource
	log     *slog.Logger

	mu       sync.Mutex
	ctx      context.Context
	emit     func(ctx context.Context, name string, data ...any)
	language string
	session  *operators.Session

	// jobs counts the jobs started in the background.
	jobs sync.WaitGroup

	// deviceMu serialises device assignments, so the registry takes them
	// in the order they were stored.
	deviceMu sync.Mutex
	// restartSlots holds, under mu, the slots whose latest change the
	// running window does not use yet.
	restartSlots map[string]bool
}

// NewApp returns an App. Events are dropped until startup gives it a Wails
// context.
func NewApp(o Options) *App {
	a := &App{opts: o, devices: o.Devices, log: o.Log, ctx: context.Background()}
	if a.devices == nil {
		a.devices = ConfigDevices{Config: o.Config.Devices}
	}
	if a.log == nil {
		a.log = logging.Discard()
	}
	a.emit = func(context.Context, string, ...any) {}
	return a
}

// startup stores the Wails context and the function that sends events. Run
// passes runtime.EventsEmit; tests pass a recorder. Unexported, like every
// method the frontend must not call, because Wails binds all exported ones.
func (a *App) startup(ctx context.Context, emit func(ctx context.Context, name string, data ...any)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ctx, a.emit = ctx, emit
}

func (a *App) context() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ctx
}

func (a *App) send(name string, data any) {
	a.mu.Lock()
	ctx, emit := a.ctx, a.emit
	a.mu.Unlock()
	emit(ctx, name, data)
}

// Version returns the build information of the running binary.
func (a *App) Version() BuildInfo {
	return a.opts.Build
}

// Language returns the UI language: the stored choice, else the configured
// language, else zh-CN.
func (a *App) Language() (string, error) {
	a.mu.Lock()
	cached := a.language
	a.mu.Unlock()
	if cached != "" {
		return cached, nil
	}
	lang := a.opts.Config.Language
	if a.opts.Prefs != nil {
		stored, ok, err := a.opts.Prefs.Get(a.context(), prefs.KeyLanguage)
		if err != nil {
			return "", toError(err)
		}
		if ok && supported(stored) {
			lang = stored
		}
	}
	if !supported(lang) {
		lang = Languages[0]
	}
	a.mu.Lock()
	a.language = lang
	a.mu.Unlock()
	return lang, nil
}

// SetLanguage stores the UI language and sends EventLanguageChanged.
func (a *App) SetLanguage(lang string) error {
	if !supported(lang) {
		return Errorf(CodeInvalidArgument, "language %q is not supported: use zh-CN or en", lang)
	}
	if a.opts.Prefs != nil {
		if err := a.opts.Prefs.Set(a.context(), prefs.KeyLanguage, lang); err != nil {
			return toError(err)
		}
	}
	a.mu.Lock()
	a.language = lang
	a.mu.Unlock()
	a.log.Info("language changed", "language", lang)
	a.send(EventLanguageChanged, lang)
	return nil
}

// StatusSnapshot returns the current devices, central link and operator.
func (a *App) StatusSnapshot() Status {
	return Status{
		Station:  a.opts.Config.StationID,
		Devices:  a.devices.DeviceStatuses(a.context()),
		Central:  a.centralStatus(a.context()),
		Stock:    a.stockStatus(a.context()),
		Operator: a.operator(),
	}
}

// LowStock is the count of blank cards at which the status bar warns.
// TODO: make the threshold a configuration setting once stations report
// their daily volume.
const LowStock = 20

func (a *App) stockStatus(ctx context.Context) StockStatus {
	if a.opts.Issuance == nil {
		return StockStatus{}
	}
	lots, err := a.opts.Issuance.Lots(ctx)
	if err != nil {
		a.log.Warn("card stock not read for the status bar", "err", err)
		return StockStatus{}
	}
	if len(lots) == 0 {
		return StockStatus{}
	}
	s := StockStatus{Tracked: true}
	for _, l := range lots {
		s.OnHand += l.OnHand
	}
	s.Low = s.OnHand <= LowStock
	return s
}

// publishStatus sends a fresh Status to the frontend when something the
// status bar shows has changed.
func (a *App) publishStatus() {
	a.send(EventStatusChanged, a.StatusSnapshot())
}

func supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}
