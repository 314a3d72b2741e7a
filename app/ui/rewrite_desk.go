package ui

import (
	"context"
	"database/sql"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"permitdesk/app/cardface"
	"permitdesk/app/cli"
	"permitdesk/app/config"
	"permitdesk/app/rewrite"
	appsync "permitdesk/app/sync"
	"permitdesk/devices"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/rewriter"
)

// rewriteMissing returns the configuration keys that the address rewrite
// needs and cfg lacks. Without a desk reader the encoder's reader is used,
// as `permitdesk rewrite` does.
func rewriteMissing(cfg config.Config) []string {
	var missing []string
	if cfg.Devices.DeskReader.Name == "" && cfg.Devices.Encoder.Name == "" {
		missing = append(missing, "devices.desk_reader.name")
	}
	if cfg.Devices.Rewriter.Port == "" && cfg.Devices.Rewriter.USBSerial == "" {
		missing = append(missing, "devices.rewriter.port")
	}
	switch {
	case cfg.Keys.Source == "file" && cfg.Keys.KeyFile == "":
		missing = append(missing, "keys.key_file")
	case cfg.Keys.Source != "file" && cfg.Devices.PSAM.Name == "":
		missing = append(missing, "devices.psam.name")
	}
	return missing
}

// openRewrite builds the address-rewrite service the way `permitdesk
// rewrite` does: the desk reader (else the encoder's reader), the card-key
// source, the sync service as register, the rewriter and the strip
// renderer. The key source and the rewriter port are opened only when a
// change needs them, so the window does not hold the key card or the port
// between changes and finds a rewriter plugged in after start. close
// releases the reader and the port.
func openRewrite(cfg config.Config, db *sql.DB, syncSvc *appsync.Service, log *slog.Logger) (
	svc *rewrite.Service, strip *onDemandRewriter, close func(), err error) {
	r := cfg.Devices.DeskReader
	if r.Name == "" {
		r = cfg.Devices.Encoder
	}
	renderer, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile,
		TemplateDir: cfg.Printing.TemplateDir, Logger: log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("strip renderer: %w", err)
	}
	o := rewrite.Options{DB: db, MaxAPDU: r.MaxAPDU, Extended: r.Extended, Registry: syncSvc,
		Renderer: renderer, StationID: cfg.StationID, StripWait: cfg.Issuance.StepTimeout.Duration,
		BlockWhenRevocationUnknown: cfg.Issuance.OfflineRevocationPolicy == "block",
		Keys:                       onDemandKeys{open: func(ctx context.Context) (keys.Provider, error) { return cli.OpenKeys(ctx, cfg) }},
		Logger:                     log}
	if cfg.Central.SealKeyFile != "" {
		if o.SealKeys, err = appsync.PinnedSealKey(cfg.Central.SealKeyFile); err != nil {
			return nil, nil, nil, err
		}
	}
	reader, err := pcsc.Open(pcsc.Options{Reader: r.Name, Logger: log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("desk reader %q: %w", r.Name, err)
	}
	strip = &onDemandRewriter{idle: rewriterIdle, opts: rewriter.Options{Port: cli.SerialOptions(cfg.Devices.Rewriter),
		Timeout: cfg.Devices.Rewriter.Timeout.Duration, Logger: log}}
	o.Reader, o.Strip = reader, strip
	close = func() {
		strip.Close()
		reader.Close()
	}
	if svc, err = rewrite.New(o); err != nil {
		close()
		return nil, nil, nil, err
	}
	return svc, strip, close, nil
}

// onDemandKeys opens the key source for each cryptogram and closes it
// again, so the issue command can use the key card between changes.
type onDemandKeys struct {
	open func(ctx context.Context) (keys.Provider, error)
}

// Cryptogram opens the key source, computes one cryptogram and closes it.
func (k onDemandKeys) Cryptogram(ctx context.Context, factor, challenge []byte) ([]byte, error) {
	p, err := k.open(ctx)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Cryptogram(ctx, factor, challenge)
}

// Close does nothing: no key source stays open.
func (onDemandKeys) Close() error { return nil }

// rewriterIdle is how long the window keeps the rewriter's port open after
// its last use, so `permitdesk rewriter status` and the diagnostics can open
// it between changes.
const rewriterIdle = 30 * time.Second

// onDemandRewriter opens the rewriter's port when a change needs it and
// closes it once it has not been used for the idle time. rewriter.Rewriter
// itself reopens a port that failed while open.
type onDemandRewriter struct {
	opts rewriter.Options
	idle time.Duration

	mu    sync.Mutex
	rw    *rewriter.Rewriter
	users int
	timer *time.Timer
	// suspended counts the Suspend calls not yet released.
	suspended int
}

// acquire opens the rewriter if needed and returns it. Each call needs a
// matching release.
func (r *onDemandRewriter) acquire() (*rewriter.Rewriter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.suspended > 0 {
		return nil, fmt.Errorf("%w: the diagnostics are using the rewriter; try again when they finish",
			devices.ErrBusy)
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.rw == nil {
		rw, err := rewriter.Open(r.opts)
		if err != nil {
			return nil, err
		}
		r.rw = rw
	}
	r.users++
	return r.rw, nil
}

func (r *onDemandRewriter) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users--
	if r.users == 0 && r.rw != nil {
		r.timer = time.AfterFunc(r.idle, r.closeIdle)
	}
}

func (r *onDemandRewriter) closeIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == 0 {
		r.closeLocked()
	}
}

// Status reads the rewriter's status.
func (r *onDemandRewriter) Status(ctx context.Context) (rewriter.Status, error) {
	rw, err := r.acquire()
	if err != nil {
		return rewriter.Status{}, err
	}
	defer r.release()
	return rw.Status(ctx)
}

// Rewrite erases the strip and prints img.
func (r *onDemandRewriter) Rewrite(ctx context.Context, img image.Image) error {
	rw, err := r.acquire()
	if err != nil {
		return err
	}
	defer r.release()
	return rw.Rewrite(ctx, img)
}

// Close closes the port if it is open.
func (r *onDemandRewriter) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closeLocked()
}

func (r *onDemandRewriter) closeLocked() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.rw != nil {
		r.rw.Close()
		r.rw = nil
	}
}

// Suspend closes the port and keeps address changes from opening it until
// the returned function is called, so that the diagnostics can open it
// themselves. It fails with devices.ErrBusy while a change uses the rewriter.
func (r *onDemandRewriter) Suspend() (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users > 0 {
		return nil, fmt.Errorf("%w: an address change is using the rewriter; run the diagnostics when it is done",
			devices.ErrBusy)
	}
	r.closeLocked()
	r.suspended++
	return resumeOnce(&r.mu, &r.suspended), nil
}
