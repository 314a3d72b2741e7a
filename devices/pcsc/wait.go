package pcsc

import (
	"context"
	"errors"

	"github.com/ebfe/scard"
)

// WaitCard blocks until a card is present in the configured reader and
// returns the reader's full name. It keeps waiting while the reader is
// missing and while pcscd is down, and returns an error wrapping
// devices.ErrTimeout when ctx ends.
func (r *Reader) WaitCard(ctx context.Context) (string, error) {
	if err := r.requireName(); err != nil {
		return "", err
	}
	notify := r.opts.OnWaiting
	for {
		if err := ctx.Err(); err != nil {
			return "", mapError(r.Name(), "wait for card", err)
		}
		name, present, err := r.waitOnce(ctx, func(reader string) {
			if notify != nil {
				notify(reader)
				notify = nil
			}
		})
		if err != nil && !errors.Is(err, ErrServiceLost) {
			return "", err
		}
		if present {
			r.setName(name)
			return name, nil
		}
	}
}

// WaitRemoved blocks until the configured reader has no card.
func (r *Reader) WaitRemoved(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return mapError(r.Name(), "wait for card removal", err)
		}
		sctx, err := r.context(ctx)
		if err != nil {
			return err
		}
		names, err := r.List(ctx)
		if err != nil && !errors.Is(err, ErrServiceLost) {
			return err
		}
		name := r.match(names)
		if name == "" {
			return nil
		}
		rs := []scard.ReaderState{{Reader: name, CurrentState: scard.StateUnaware}}
		if err := r.statusChange(ctx, sctx, rs); err != nil && !errors.Is(err, ErrServiceLost) {
			return err
		}
		if rs[0].EventState&scard.StatePresent == 0 {
			return nil
		}
		rs[0].CurrentState = rs[0].EventState
		if err := r.statusChange(ctx, sctx, rs); err != nil && !errors.Is(err, ErrServiceLost) {
			return err
		}
	}
}

// waitOnce waits up to one poll interval for the reader to appear or a card
// to arrive, watching the PnP pseudo-reader for new readers. It calls
// waiting when the current states show no card, before it blocks.
func (r *Reader) waitOnce(ctx context.Context, waiting func(reader string)) (string, bool, error) {
	sctx, err := r.context(ctx)
	if err != nil {
		return "", false, err
	}
	names, err := r.List(ctx)
	if err != nil {
		return "", false, err
	}
	name := r.match(names)
	rs := []scard.ReaderState{{Reader: PnPReader, CurrentState: scard.StateUnaware}}
	if name != "" {
		rs = append(rs, scard.ReaderState{Reader: name, CurrentState: scard.StateUnaware})
	}
	// The first call with UNAWARE states returns at once with the current
	// states; the second waits for a change from them.
	for pass := range 2 {
		if err := r.statusChange(ctx, sctx, rs); err != nil {
			return "", false, err
		}
		if name != "" && present(rs[1].EventState) {
			return name, true, nil
		}
		if pass == 0 {
			waiting(r.Name())
		}
		for i := range rs {
			rs[i].CurrentState = rs[i].EventState &^ scard.StateChanged
		}
	}
	return "", false, nil
}

func present(s scard.StateFlag) bool {
	return s&scard.StatePresent != 0 && s&scard.StateMute == 0
}

// statusChange calls SCardGetStatusChange for one poll interval, cancelling
// it when ctx ends. A timeout is not an error.
func (r *Reader) statusChange(ctx context.Context, sctx *scard.Context, rs []scard.ReaderState) error {
	stop := context.AfterFunc(ctx, func() { _ = sctx.Cancel() })
	err := sctx.GetStatusChange(rs, r.opts.PollInterval)
	stop()
	switch {
	case err == nil, errors.Is(err, scard.ErrTimeout):
		return nil
	case errors.Is(err, scard.ErrCancelled) && ctx.Err() != nil:
		return mapError(r.Name(), "wait for card", ctx.Err())
	case errors.Is(err, scard.ErrUnknownReader):
		return nil // the reader went away: list again
	}
	return r.check(sctx, "wait for card", err)
}
