package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"time"

	"permitdesk/app/permit"
	"permitdesk/devices"
)

// drive runs a claimed job step by step until it stops at a state that
// waits for a person.
func (w *Worker) drive(ctx context.Context, j *Job, actor string) (*Job, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		if ctx.Err() != nil && j.State != Ejected {
			return w.cancelled(j, actor, "between steps")
		}
		w.hook("before:" + string(j.State))
		next, err := w.step(ctx, j, actor)
		if err != nil {
			if next == nil {
				next = j
			}
			return next, err
		}
		j = next
		switch j.State {
		case AwaitingHandover:
			return j, nil
		case Spoiled:
			return j, fmt.Errorf("job %d: card %d spoiled: %s; retry with permitdesk queue retry %d",
				j.ID, j.CardID, j.Attention, j.ID)
		case NeedsAttention:
			return j, fmt.Errorf("%w: job %d: %s", ErrNeedsAttention, j.ID, j.Attention)
		}
	}
}

func (w *Worker) step(ctx context.Context, j *Job, actor string) (*Job, error) {
	switch j.State {
	case Queued:
		return w.takeCard(ctx, j, actor)
	case CardFed:
		return w.feed(ctx, j, actor)
	case Encoding:
		return w.personalise(ctx, j, actor)
	case Encoded:
		return w.verify(ctx, j, actor)
	case Verified:
		return w.startPrint(ctx, j, actor)
	case Printing:
		return w.print(ctx, j, actor)
	case Printed:
		return w.eject(ctx, j, actor)
	case Ejected:
		return w.svc.move(ctx, j.ID, change{to: AwaitingHandover, expect: Ejected, actor: actor,
			step: "awaiting handover", claim: ptr("")})
	}
	return j, fmt.Errorf("%w: job %d is %s and cannot be run", ErrBadTransition, j.ID, j.State)
}

func (w *Worker) takeCard(ctx context.Context, j *Job, actor string) (*Job, error) {
	if _, err := w.svc.sealFor(ctx, j.ApplicationID, j.Permit); err != nil {
		return w.untaken(j, err)
	}
	if err := w.preflight(ctx); err != nil {
		return w.untaken(j, err)
	}
	return w.svc.move(ctx, j.ID, change{to: CardFed, expect: Queued, actor: actor, step: "card taken",
		before: func(ctx context.Context, tx *sql.Tx, j *Job) error {
			if j.ClaimedBy != w.owner {
				return fmt.Errorf("%w: job %d is claimed by %q", ErrStateChanged, j.ID, j.ClaimedBy)
			}
			j.Printer = w.opt.Printer
			return w.svc.takeCard(ctx, tx, j)
		}})
}

// call runs one device operation with the step timeout and reports a
// timeout as devices.ErrTimeout.
func (w *Worker) call(ctx context.Context, op string, fn func(context.Context) error) error {
	stepCtx, cancel := context.WithTimeout(ctx, w.opt.StepTimeout)
	defer cancel()
	err := fn(stepCtx)
	w.hook("after:" + op)
	if err != nil && errors.Is(stepCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("%s: %w after %s: %w", op, devices.ErrTimeout, w.opt.StepTimeout, err)
	}
	if err != nil {
		w.log.Warn("device step failed", "op", op, "err", err)
	}
	return err
}

// unconfirmed reports whether the device may have acted despite err.
func unconfirmed(err error) bool {
	return errors.Is(err, devices.ErrUnconfirmed) || errors.Is(err, devices.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}

func (w *Worker) feed(ctx context.Context, j *Job, actor string) (*Job, error) {
	err := w.call(ctx, "feed", w.opt.CardPath.FeedToContactless)
	switch {
	case err == nil:
		return w.svc.move(ctx, j.ID, change{to: Encoding, expect: CardFed, actor: actor, step: "card at station"})
	case ctx.Err() != nil:
		return w.cancelled(j, actor, "feeding")
	case errors.Is(err, devices.ErrNoCard):
		return w.notFed(ctx, j, actor, err)
	case unconfirmed(err):
		return w.attention(ctx, j, actor, fmt.Sprintf("card %d was taken from stock; the feed to the "+
			"contactless station was not confirmed (%v)", j.CardID, err))
	case errors.Is(err, devices.ErrOutOfStep):
		return w.outOfStep(ctx, j, actor, "feeding", err)
	}
	return w.spoilCard(ctx, j, actor, fmt.Sprintf("feed failed: %v", err))
}

// notFed returns the card to stock when the printer moved none, such as
// with an empty feeder.
func (w *Worker) notFed(ctx context.Context, j *Job, actor string, cause error) (*Job, error) {
	reason := fmt.Sprintf("no card was fed (%v); load blank cards into the feeder", cause)
	next, err := w.svc.move(ctx, j.ID, change{to: Queued, expect: CardFed, actor: actor, step: "not fed",
		claim: ptr(""), attention: ptr(reason), detail: map[string]any{"reason": reason},
		before: func(ctx context.Context, tx *sql.Tx, j *Job) error {
			return returnCard(ctx, tx, j)
		}})
	if err != nil {
		return nil, err
	}
	return next, fmt.Errorf("job %d: %s", j.ID, reason)
}

func (w *Worker) personalise(ctx context.Context, j *Job, actor string) (*Job, error) {
	seal, err := w.svc.sealFor(ctx, j.ApplicationID, j.Permit)
	if err != nil {
		return w.spoilCard(ctx, j, actor, fmt.Sprintf("chip not written: %v", err))
	}
	var serial string
	err = w.call(ctx, "personalise", func(ctx context.Context) error {
		var err error
		serial, err = w.opt.Encoder.Personalise(ctx, j.Permit, seal)
		return err
	})
	switch {
	case err == nil && serial == "":
		err = errors.New("encoder returned an empty card serial")
	case err == nil:
		return w.svc.move(ctx, j.ID, change{to: Encoded, expect: Encoding, actor: actor, step: "chip written",
			card: cardUpdate{serial: serial}})
	case ctx.Err() != nil:
		return w.cancelled(j, actor, "writing the chip")
	case unconfirmed(err):
		return w.attention(ctx, j, actor, fmt.Sprintf("card %d is at the contactless station; writing the "+
			"chip was not confirmed (%v)", j.CardID, err))
	}
	return w.spoilCard(ctx, j, actor, fmt.Sprintf("chip write failed: %v", err))
}

func (w *Worker) verify(ctx context.Context, j *Job, actor string) (*Job, error) {
	var got CardContent
	err := w.call(ctx, "read", func(ctx context.Context) error {
		var err error
		got, err = w.opt.Encoder.Read(ctx)
		return err
	})
	if err == nil {
		err = checkContent(j, got)
	}
	if err == nil {
		err = w.svc.checkCardSeal(ctx, j, got)
	}
	switch {
	case err == nil:
		return w.svc.move(ctx, j.ID, change{to: Verified, expect: Encoded, actor: actor, step: "chip verified",
			card: cardUpdate{verified: true}})
	case ctx.Err() != nil:
		return w.cancelled(j, actor, "reading the chip back")
	}
	return w.spoilCard(ctx, j, actor, fmt.Sprintf("read-back failed: %v", err))
}

// checkContent compares a chip read back with the job's permit and card.
func checkContent(j *Job, got CardContent) error {
	if j.Card != nil && j.Card.Serial != "" && got.Serial != j.Card.Serial {
		return fmt.Errorf("%w: card serial %s at the station, expected %s", devices.ErrWrongCard, got.Serial,
			j.Card.Serial)
	}
	return samePermit(j.Permit, got.Permit)
}

func samePermit(want, got permit.Permit) error {
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	for _, f := range []struct{ name, want, got string }{
		{"permit number", want.Number, got.Number},
		{"holder name", want.Holder.Name, got.Holder.Name},
		{"ID number", want.Holder.IDNumber, got.Holder.IDNumber},
		{"house code", want.Address.HouseCode, got.Address.HouseCode},
		{"address", want.Address.Line(), got.Address.Line()},
		{"valid from", day(want.ValidFrom), day(got.ValidFrom)},
		{"valid to", day(want.ValidTo), day(got.ValidTo)},
	} {
		if f.want != f.got {
			return fmt.Errorf("chip %s differs from the permit", f.name)
		}
	}
	return nil
}

func (w *Worker) startPrint(ctx context.Context, j *Job, actor string) (*Job, error) {
	var st PrinterStatus
	err := w.call(ctx, "status", func(ctx context.Context) error {
		var err error
		st, err = w.opt.CardPath.Status(ctx)
		return err
	})
	switch {
	case err == nil:
		return w.svc.move(ctx, j.ID, change{to: Printing, expect: Verified, actor: actor, step: "printing",
			card: cardUpdate{printCount: &st.PrintCounter}})
	case ctx.Err() != nil:
		return w.cancelled(j, actor, "reading the printer counter")
	}
	return w.attention(ctx, j, actor, fmt.Sprintf("chip written and verified for card %s; the printer "+
		"counter could not be read before printing (%v)", serialOf(j), err))
}

func (w *Worker) print(ctx context.Context, j *Job, actor string) (*Job, error) {
	front, back, err := w.opt.Faces.RenderFaces(ctx, j.Permit)
	if err != nil {
		return w.spoilCard(ctx, j, actor, fmt.Sprintf("card faces could not be drawn: %v", err))
	}
	w.keepFaces(j, front, back)
	err = w.call(ctx, "print", func(ctx context.Context) error {
		return w.opt.CardPath.PrintFaces(ctx, front, back)
	})
	switch {
	case err == nil:
		return w.printed(ctx, j, actor, "printed")
	case ctx.Err() != nil:
		return w.cancelled(j, actor, "printing")
	case unconfirmed(err):
		return w.settlePrint(ctx, j, actor, err)
	}
	// TODO: an out-of-step link before the print command still spoils a blank card, because the
	// printer adapter does not report whether the print command was sent.
	return w.spoilCard(ctx, j, actor, fmt.Sprintf("print failed: %v", err))
}

// keepFaces saves the rendered faces for the record. A failure is logged
// and does not stop the job, because the card already holds a written chip.
func (w *Worker) keepFaces(j *Job, front, back image.Image) {
	if w.opt.FacesDir == "" {
		return
	}
	if err := saveFaces(w.opt.FacesDir, j, front, back); err != nil {
		w.log.Error("saving card faces failed", "job", j.ID, "serial", serialOf(j), "err", err)
	}
}

func (w *Worker) printed(ctx context.Context, j *Job, actor, step string) (*Job, error) {
	return w.svc.move(ctx, j.ID, change{to: Printed, expect: j.State, actor: actor, step: step,
		card: cardUpdate{printed: true}})
}

// settlePrint reads the printer counter after an unconfirmed print: a
// higher count than before printing confirms the print.
func (w *Worker) settlePrint(ctx context.Context, j *Job, actor string, cause error) (*Job, error) {
	before := int64(-1)
	if j.Card != nil && j.Card.PrintCount != nil {
		before = *j.Card.PrintCount
	}
	st, err := w.statusAfter(ctx)
	if err == nil && before >= 0 && st.PrintCounter > before {
		return w.printed(ctx, j, actor, "print confirmed by counter")
	}
	now := fmt.Sprintf("unreadable: %v", err)
	if err == nil {
		now = fmt.Sprint(st.PrintCounter)
	}
	return w.attention(ctx, j, actor, fmt.Sprintf("chip written and verified for card %s, print not "+
		"confirmed (printer counter %d before printing, %s now): %v", serialOf(j), before, now, cause))
}

func (w *Worker) eject(ctx context.Context, j *Job, actor string) (*Job, error) {
	err := w.call(ctx, "eject", w.opt.CardPath.Eject)
	switch {
	case err == nil:
		return w.svc.move(ctx, j.ID, change{to: Ejected, expect: Printed, actor: actor, step: "ejected"})
	case ctx.Err() != nil:
		return w.cancelled(j, actor, "ejecting")
	}
	return w.attention(ctx, j, actor, fmt.Sprintf("card %s printed and verified; eject not confirmed (%v)",
		serialOf(j), err))
}

func serialOf(j *Job) string {
	if j.Card != nil && j.Card.Serial != "" {
		return j.Card.Serial
	}
	return fmt.Sprintf("#%d", j.CardID)
}

// attention stops a job whose card is in an unknown state.
func (w *Worker) attention(ctx context.Context, j *Job, actor, what string) (*Job, error) {
	w.log.Warn("job needs attention", "job", j.ID, "state", j.State, "what", what)
	return w.svc.move(context.WithoutCancel(ctx), j.ID, change{to: NeedsAttention, expect: j.State,
		actor: actor, step: "needs attention", attention: ptr(what), claim: ptr(""),
		detail: map[string]any{"evidence": what}})
}

// outOfStep stops a job whose printer link fell out of step during the feed,
// so that the card is not spoiled for a fault it does not have. The driver
// resynchronises before its next command, and --continue checks the card
// position before going on.
func (w *Worker) outOfStep(ctx context.Context, j *Job, actor, during string, err error) (*Job, error) {
	return w.attention(ctx, j, actor, fmt.Sprintf("the printer link was out of step while %s card %d (%v); "+
		"the card is not at fault, and retrying with permitdesk queue retry %d --continue is safe",
		during, j.CardID, err, j.ID))
}

// spoilCard sends the job's card to the reject box and records it spoiled;
// when the card cannot be rejected, the job needs attention instead.
func (w *Worker) spoilCard(ctx context.Context, j *Job, actor, reason string) (*Job, error) {
	ctx = context.WithoutCancel(ctx)
	err := w.call(ctx, "reject", w.opt.CardPath.EjectToReject)
	if err != nil && !errors.Is(err, devices.ErrNoCard) {
		return w.attention(ctx, j, actor, fmt.Sprintf("%s; sending card %s to the reject box failed (%v)",
			reason, serialOf(j), err))
	}
	return w.svc.spoil(ctx, j.ID, j.State, actor, reason)
}

// untaken releases a queued job that stopped before a card was taken, such
// as for a rejected seal or a printer that is not ready, so it can run again
// once the cause is fixed.
func (w *Worker) untaken(j *Job, cause error) (*Job, error) {
	_, err := w.svc.db.ExecContext(context.Background(), `UPDATE jobs SET claimed_by = NULL
		WHERE id = ? AND claimed_by = ?`, j.ID, w.owner)
	return j, errors.Join(fmt.Errorf("job %d: no card taken: %w", j.ID, cause), err)
}

// cancelled ends a job whose context was cancelled: a queued job is released,
// a card at the printer is spoiled.
func (w *Worker) cancelled(j *Job, actor, during string) (*Job, error) {
	ctx := context.Background()
	if j.State == Queued {
		_, err := w.svc.db.ExecContext(ctx, `UPDATE jobs SET claimed_by = NULL WHERE id = ? AND claimed_by = ?`,
			j.ID, w.owner)
		return j, errors.Join(context.Canceled, err)
	}
	next, err := w.spoilCard(ctx, j, actor, "cancelled by the operator while "+during)
	if err != nil {
		return next, err
	}
	return next, fmt.Errorf("job %d %w while %s; card %d spoiled", j.ID, context.Canceled, during, j.CardID)
}

// statusAfter reads the printer status after an unconfirmed step. A printer
// still finishing the step may not reply at once, so it tries up to three
// times, a second apart, within the step timeout.
func (w *Worker) statusAfter(ctx context.Context) (PrinterStatus, error) {
	var st PrinterStatus
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return st, ctx.Err()
			case <-time.After(time.Second):
			}
		}
		if st, err = w.status(ctx); err == nil {
			return st, nil
		}
	}
	return st, err
}
