// Package pcsc drives a contactless card encoder through the PC/SC API
// (pcsc-lite's pcscd on Linux) using github.com/ebfe/scard.
//
// A Reader owns one PC/SC context and picks its reader by a substring of the
// reader name. Connect waits for a card with SCardGetStatusChange, watching
// the \\?PnP?\Notification pseudo-reader so readers that appear later are
// found, with a finite poll interval so a stopped service is noticed, and
// with SCardCancel on context cancellation. Card.Transmit sends one raw APDU;
// package apdu adds the T=0 rules on top.
//
// Error handling, per the PC/SC specification (part 5) and pcsc-lite 1.9:
//   - SCARD_E_NO_SERVICE / SCARD_E_SERVICE_STOPPED: pcscd went away. The
//     context is released and re-established with backoff on the next call,
//     even though SCardIsValidContext may still succeed; the error wraps
//     ErrServiceLost.
//   - SCARD_W_RESET_CARD: wraps apdu.ErrCardReset; call Card.Reconnect, then
//     select and authenticate again.
//   - SCARD_W_REMOVED_CARD, or a card found absent after a failed transmit:
//     wraps devices.ErrCardRemoved.
//   - An empty response with a nil error (ebfe/scard does return one) is an
//     error wrapping both devices.ErrCardRemoved and devices.ErrUnconfirmed:
//     the card stopped answering and the command may or may not have run.
//
// Every error is a *devices.Error naming the reader and operation, and it
// also wraps the scard.Error when there is one.
package pcsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"

	"permitdesk/devices"
)

// PnPReader is the pseudo-reader whose state changes when a reader is added
// or removed.
const PnPReader = `\\?PnP?\Notification`

// Options configure Open.
type Options struct {
	// Reader is a substring of the PC/SC reader name; the first listed
	// reader that contains it is used. Required for Connect, not for List.
	Reader string
	// Logger receives context re-establishment and retry messages; default
	// discards them.
	Logger *slog.Logger
	// PollInterval bounds each SCardGetStatusChange call so a lost service
	// or a cancelled context is noticed. Default 1s.
	PollInterval time.Duration
	// MaxBackoff caps the wait between attempts to re-establish the context
	// after pcscd stops. Backoff starts at 100ms and doubles. Default 5s.
	MaxBackoff time.Duration
	// Exclusive connects in exclusive mode; default shared, with
	// transactions around multi-command steps.
	Exclusive bool
	// OnWaiting, when set, is called once per WaitCard or Connect call as
	// soon as the first check finds no card (or no matching reader), with
	// the reader name or the configured substring. Default none.
	OnWaiting func(reader string)
}

// Reader is one PC/SC reader chosen by name. It is safe for concurrent use,
// but only one card connection should be open at a time.
type Reader struct {
	opts Options
	log  *slog.Logger

	mu   sync.Mutex
	sctx *scard.Context
	name string // resolved reader name, "" until found

}

// Open establishes a PC/SC context. It fails with an error wrapping
// ErrServiceLost when pcscd is not running.
func Open(opts Options) (*Reader, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Reader{opts: opts, log: opts.Logger.With("component", "pcsc", "reader_match", opts.Reader)}
	sctx, err := scard.EstablishContext()
	if err != nil {
		return nil, mapError(opts.Reader, "establish context", err)
	}
	r.sctx = sctx
	return r, nil
}

// Name returns the resolved reader name, or the configured substring before
// a reader has been found.
func (r *Reader) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.name != "" {
		return r.name
	}
	return r.opts.Reader
}

// Close cancels waits and releases the context.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sctx == nil {
		return nil
	}
	_ = r.sctx.Cancel()
	err := r.sctx.Release()
	r.sctx = nil
	return mapError(r.opts.Reader, "release context", err)
}

// context returns the current PC/SC context, re-establishing it with
// backoff when it was dropped after a lost service.
func (r *Reader) context(ctx context.Context) (*scard.Context, error) {
	backoff := 100 * time.Millisecond
	for {
		r.mu.Lock()
		sctx := r.sctx
		if sctx == nil {
			var err error
			sctx, err = scard.EstablishContext()
			if err == nil {
				r.sctx = sctx
				r.log.Info("pcsc context re-established")
			}
		}
		r.mu.Unlock()
		if sctx != nil {
			return sctx, nil
		}
		r.log.Warn("pcsc service unavailable, retrying", "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil, mapError(r.opts.Reader, "establish context", ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, r.opts.MaxBackoff)
	}
}

// dropContext releases sctx if it is still current, so the next call
// re-establishes it. pcsc-lite keeps reporting the old context as valid
// after pcscd restarts, so IsValid cannot be trusted for this.
func (r *Reader) dropContext(sctx *scard.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sctx != sctx || sctx == nil {
		return
	}
	_ = sctx.Release()
	r.sctx = nil
	r.log.Warn("pcsc service lost, context released")
}

// check drops the context when err says the service is gone, and maps err.
func (r *Reader) check(sctx *scard.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if isServiceLost(err) {
		r.dropContext(sctx)
	}
	return mapError(r.Name(), op, err)
}

// List returns the names of all PC/SC readers. An empty list is not an
// error.
func (r *Reader) List(ctx context.Context) ([]string, error) {
	sctx, err := r.context(ctx)
	if err != nil {
		return nil, err
	}
	names, err := sctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, r.check(sctx, "list readers", err)
	}
	return names, nil
}

// match returns the first name containing the configured substring.
func (r *Reader) match(names []string) string {
	i := slices.IndexFunc(names, func(n string) bool { return strings.Contains(n, r.opts.Reader) })
	if i < 0 {
		return ""
	}
	return names[i]
}

// ListReaders lists PC/SC readers with a short-lived context.
func ListReaders(ctx context.Context) ([]string, error) {
	r, err := Open(Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.List(ctx)
}

func (r *Reader) setName(name string) {
	r.mu.Lock()
	r.name = name
	r.mu.Unlock()
}

func (r *Reader) requireName() error {
	if r.opts.Reader == "" {
		return &devices.Error{Op: "connect", Code: CodeReaderMissing,
			Err: fmt.Errorf("%w: no reader name configured; set devices.encoder.name to a substring "+
				"of a name from `permitdesk card readers`", devices.ErrNotConfigured)}
	}
	return nil
}
