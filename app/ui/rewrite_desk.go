package ui

import (
	"context"
	"database/sql"
	"fmt"
	"image"
	"log/slog"
	"sync"

	"permitdesk/app/cardface"
	"permitdesk/app/cli"
	"permitdesk/app/config"
	"permitdesk/app/rewrite"
	appsync "permitdesk/app/sync"
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
// change needs them, so the window does not hold the key card between
// changes and finds a rewriter plugged in after start. close releases the
// reader and the port.
func openRewrite(cfg config.Config, db *sql.DB, syncSvc *appsync.Service, log *slog.Logger) (
	svc *rewrite.Service, close func(), err error) {
	r := cfg.Devices.DeskReader
	if r.Name == "" {
		r = cfg.Devices.Encoder
	}
	renderer, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile,
		TemplateDir: cfg.Printing.TemplateDir, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("strip renderer: %w", err)
	}
	o := rewrite.Options{DB: db, MaxAPDU: r.MaxAPDU, Extended: r.Extended, Registry: syncSvc,
		Renderer: renderer, StationID: cfg.StationID, StripWait: cfg.Issuance.StepTimeout.Duration,
		BlockWhenRevocationUnknown: cfg.Issuance.OfflineRevocationPolicy == "block",
		Keys:                       onDemandKeys{open: func(ctx context.Context) (keys.Provider, error) { return cli.OpenKeys(ctx, cfg) }},
		Logger:                     log}
	if cfg.Central.SealKeyFile != "" {
		if o.SealKeys, err = appsync.PinnedSealKey(cfg.Central.SealKeyFile); err != nil {
			return nil, nil, err
		}
	}
	reader, err := pcsc.Open(pcsc.Options{Reader: r.Name, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("desk reader %q: %w", r.Name, err)
	}
	strip := &onDemandRewriter{opts: rewriter.Options{Port: cli.SerialOptions(cfg.Devices.Rewriter),
		Timeout: cfg.Devices.Rewriter.Timeout.Duration, Logger: log}}
	o.Reader, o.Strip = reader, strip
	close = func() {
		strip.Close()
		reader.Close()
	}
	if svc, err = rewrite.New(o); err != nil {
		close()
		return nil, nil, err
	}
	return svc, close, nil
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

// onDemandRewriter opens the rewriter's port on first use and keeps it
// open. rewriter.Rewriter itself reopens a port that failed.
type onDemandRewriter struct {
	opts rewriter.Options
	mu   sync.Mutex
	rw   *rewriter.Rewriter
}

func (r *onDemandRewriter) device() (*rewriter.Rewriter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rw == nil {
		rw, err := rewriter.Open(r.opts)
		if err != nil {
			return nil, err
		}
		r.rw = rw
	}
	return r.rw, nil
}

// Status reads the rewriter's status.
func (r *onDemandRewriter) Status(ctx context.Context) (rewriter.Status, error) {
	rw, err := r.device()
	if err != nil {
		return rewriter.Status{}, err
	}
	return rw.Status(ctx)
}

// Rewrite erases the strip and prints img.
func (r *onDemandRewriter) Rewrite(ctx context.Context, img image.Image) error {
	rw, err := r.device()
	if err != nil {
		return err
	}
	return rw.Rewrite(ctx, img)
}

// Close closes the port if it was opened.
func (r *onDemandRewriter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rw == nil {
		return nil
	}
	err := r.rw.Close()
	r.rw = nil
	return err
}
