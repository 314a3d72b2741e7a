package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"permitdesk/app/operators"
	"permitdesk/app/store"
	"permitdesk/devices"
)

// ErrCannotContinue means the card at the station does not show that the
// job can go on; the operator should choose retry or void.
var ErrCannotContinue = errors.New("job cannot continue with this card")

// Recover runs at start, once the printer is locked: every job of this
// printer caught mid-way goes to needs_attention with what is known, and
// claims of queued jobs are released. It repeats no device action. A job
// caught after eject moves on to awaiting_handover, because only the
// database step was left. It returns the jobs it changed.
func (w *Worker) Recover(ctx context.Context) ([]*Job, error) {
	if _, err := w.svc.db.ExecContext(ctx, `UPDATE jobs SET claimed_by = NULL
		WHERE state = 'queued' AND claimed_by IS NOT NULL AND printer IN ('', ?)`, w.opt.Printer); err != nil {
		return nil, fmt.Errorf("release claims: %w", err)
	}
	stuck, err := w.svc.List(ctx, ListOptions{States: []State{CardFed, Encoding, Encoded, Verified, Printing,
		Printed, Ejected}, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []*Job
	for _, j := range stuck {
		if j.Printer != w.opt.Printer {
			continue
		}
		next, err := w.recoverJob(ctx, j)
		if err != nil {
			return out, fmt.Errorf("recover job %d: %w", j.ID, err)
		}
		out = append(out, next)
	}
	return out, nil
}

func (w *Worker) recoverJob(ctx context.Context, j *Job) (*Job, error) {
	if j.State == Ejected {
		return w.svc.move(ctx, j.ID, change{to: AwaitingHandover, expect: Ejected, step: "recovered: ejected",
			claim: ptr("")})
	}
	what := "the workstation stopped: " + evidence(j)
	w.log.Warn("job caught mid-way", "job", j.ID, "state", j.State, "evidence", what)
	return w.svc.move(ctx, j.ID, change{to: NeedsAttention, expect: j.State, step: "recovered",
		attention: ptr(what), claim: ptr(""), detail: map[string]any{"evidence": what}})
}

// evidence describes what is known about a job's card in state j.State.
func evidence(j *Job) string {
	switch j.State {
	case CardFed:
		return fmt.Sprintf("card %d was taken from stock; the feed to the contactless station was not "+
			"confirmed", j.CardID)
	case Encoding:
		return fmt.Sprintf("card %d was at the contactless station; writing the chip was not confirmed, so "+
			"the chip may be blank, partly written or complete", j.CardID)
	case Encoded:
		return fmt.Sprintf("chip written for card %s; not yet read back", serialOf(j))
	case Verified:
		return fmt.Sprintf("chip written and verified for card %s; printing not started", serialOf(j))
	case Printing:
		before := "unknown"
		if j.Card != nil && j.Card.PrintCount != nil {
			before = fmt.Sprint(*j.Card.PrintCount)
		}
		return fmt.Sprintf("chip written and verified for card %s, print not confirmed (printer counter %s "+
			"before printing)", serialOf(j), before)
	case Printed:
		return fmt.Sprintf("card %s printed and verified; eject not confirmed", serialOf(j))
	}
	return fmt.Sprintf("job was %s", j.State)
}

// Resolve carries out an operator's choice for a job that needs attention
// or was spoiled, then runs the job on when the choice allows it.
// ChoiceVoid needs approvalID from operators.Service.Approve, and so does
// ChoiceRetry on a job with a card when WorkerOptions.RetryNeedsApproval is
// set.
func (w *Worker) Resolve(ctx context.Context, sess *operators.Session, id int64, choice Choice,
	approvalID, reason string) (*Job, error) {
	if err := operators.Require(sess, issuers...); err != nil {
		return nil, err
	}
	j, err := w.svc.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	actor := sess.Operator.Login
	switch choice {
	case ChoiceVoid:
		if j.State == NeedsAttention {
			if _, err := w.clearPrinter(ctx, j, actor); err != nil {
				return nil, err
			}
		}
		return w.svc.Void(ctx, sess, id, approvalID, reason)
	case ChoiceRetry:
		if err := w.approveRetry(ctx, sess, j, approvalID); err != nil {
			return nil, err
		}
		return w.retry(ctx, j, actor)
	case ChoiceContinue:
		return w.continueJob(ctx, j, actor)
	}
	return nil, fmt.Errorf("invalid choice %q: use continue, retry or void", choice)
}

// clearPrinter sends the card of a job that needs attention to the reject
// box and records it spoiled. A card that the printer never fed goes back
// to stock instead and the job is queued again, which returned reports. That
// is the case when the job stopped in card_fed and the printer has no card.
func (w *Worker) clearPrinter(ctx context.Context, j *Job, actor string) (returned bool, err error) {
	err = w.call(ctx, "reject", w.opt.CardPath.EjectToReject)
	noCard := errors.Is(err, devices.ErrNoCard)
	if noCard && j.AttentionFrom == CardFed {
		_, err := w.svc.move(ctx, j.ID, change{to: Queued, expect: NeedsAttention, actor: actor,
			step: "card never fed, returned to stock", claim: ptr(""), attention: ptr(""),
			before: func(ctx context.Context, tx *sql.Tx, j *Job) error { return returnCard(ctx, tx, j) }})
		return err == nil, err
	}
	where := "sent to the reject box"
	switch {
	case noCard:
		where = "not in the printer"
	case err != nil:
		w.log.Warn("reject failed", "job", j.ID, "err", err)
		where = fmt.Sprintf("not sent to the reject box (%v); remove it by hand", err)
	}
	reason := fmt.Sprintf("spoiled by %s after: %s; card %s", actor, j.Attention, where)
	_, err = w.svc.spoil(ctx, j.ID, NeedsAttention, actor, reason)
	return false, err
}

// approveRetry uses up the supervisor's approval of a retry that spoils a
// card, when the worker requires one.
func (w *Worker) approveRetry(ctx context.Context, sess *operators.Session, j *Job, approvalID string) error {
	if !w.opt.RetryNeedsApproval || j.State == Queued {
		return nil
	}
	if w.svc.opt.Operators == nil {
		return errors.New("retry needs the operator service to check the supervisor's approval")
	}
	return store.InTx(ctx, w.svc.db, func(tx *sql.Tx) error {
		sup, err := w.svc.opt.Operators.ConsumeApproval(ctx, tx, sess, approvalID, ApproveRetry)
		if err != nil {
			return err
		}
		w.log.Info("retry approved", "job", j.ID, "supervisor", sup.Login, "operator", sess.Operator.Login)
		return nil
	})
}

func (w *Worker) retry(ctx context.Context, j *Job, actor string) (*Job, error) {
	switch j.State {
	case NeedsAttention:
		returned, err := w.clearPrinter(ctx, j, actor)
		if err != nil {
			return nil, err
		}
		if returned {
			return w.RunJob(ctx, j.ID, actor)
		}
	case Spoiled:
	case Queued:
		// A queued job holds no card, such as one that stopped before taking
		// a card because the printer was not ready: retrying runs it.
		return w.RunJob(ctx, j.ID, actor)
	default:
		return nil, fmt.Errorf("%w: job %d is %s; only queued and spoiled jobs and jobs that need "+
			"attention can be retried", ErrBadTransition, j.ID, j.State)
	}
	if _, err := w.svc.requeue(ctx, j.ID, actor); err != nil {
		return nil, err
	}
	return w.RunJob(ctx, j.ID, actor)
}

// continueJob checks the card against what the job last confirmed, moves
// the job to the last state the check proves, and runs it on.
func (w *Worker) continueJob(ctx context.Context, j *Job, actor string) (*Job, error) {
	if j.State != NeedsAttention {
		return nil, fmt.Errorf("%w: job %d is %s; only a job that needs attention can continue",
			ErrBadTransition, j.ID, j.State)
	}
	c, err := w.settle(ctx, j)
	if err != nil {
		return nil, fmt.Errorf("%w: job %d: %w; choose retry to spoil the card and take a new one, "+
			"or void", ErrCannotContinue, j.ID, err)
	}
	c.expect, c.actor, c.claim = NeedsAttention, actor, ptr(w.owner)
	c.attention = ptr("")
	if _, err := w.svc.move(ctx, j.ID, c); err != nil {
		return nil, err
	}
	// The job is claimed by this worker again; drive it from the proven state.
	next, err := w.svc.Job(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	return w.drive(ctx, next, actor)
}

// settle returns the transition that the printer and the chip prove for a
// job that needs attention.
func (w *Worker) settle(ctx context.Context, j *Job) (change, error) {
	switch j.AttentionFrom {
	case CardFed:
		st, err := w.status(ctx)
		if err != nil {
			return change{}, err
		}
		if st.Position != PositionContactless {
			return change{}, fmt.Errorf("printer reports the card position as %s, not at the contactless "+
				"station", st.Position)
		}
		return change{to: Encoding, step: "continue: card at station"}, nil
	case Encoding, Encoded, Verified:
		return w.settleChip(ctx, j)
	case Printing:
		return w.settlePrinting(ctx, j)
	case Printed:
		st, err := w.status(ctx)
		if err != nil {
			return change{}, err
		}
		switch st.Position {
		case PositionNone:
			return change{to: Ejected, step: "continue: no card left in the printer"}, nil
		case PositionContactless, PositionPrint:
			return change{to: Printed, step: "continue: card still in the printer"}, nil
		}
		return change{}, fmt.Errorf("printer reports the card position as %s", st.Position)
	case Ejected:
		return change{to: AwaitingHandover, step: "continue: ejected"}, nil
	}
	return change{}, fmt.Errorf("nothing to check for a job stopped at %q", j.AttentionFrom)
}

func (w *Worker) status(ctx context.Context) (PrinterStatus, error) {
	var st PrinterStatus
	err := w.call(ctx, "status", func(ctx context.Context) error {
		var err error
		st, err = w.opt.CardPath.Status(ctx)
		return err
	})
	return st, err
}

// settleChip reads the chip at the station. A chip with the job's permit
// counts as verified now, and a blank chip is written again when the job
// stopped while writing it.
func (w *Worker) settleChip(ctx context.Context, j *Job) (change, error) {
	var got CardContent
	err := w.call(ctx, "read", func(ctx context.Context) error {
		var err error
		got, err = w.opt.Encoder.Read(ctx)
		return err
	})
	if errors.Is(err, ErrBlankCard) && j.AttentionFrom == Encoding {
		return change{to: Encoding, step: "continue: chip blank, writing again"}, nil
	}
	if err != nil {
		return change{}, fmt.Errorf("chip at the station could not be read: %w", err)
	}
	if err := checkContent(j, got); err != nil {
		return change{}, err
	}
	return change{to: Verified, step: "continue: chip read back and verified",
		card: cardUpdate{serial: got.Serial, verified: true}}, nil
}

// settlePrinting compares the printer counter with the count stored before
// printing: higher means printed. An unchanged counter does not prove the
// card is blank, because a print cut short may leave part of a face
// without counting it, so that card is not printed again (the printer
// driver refuses that too) and the operator retries with a new card.
func (w *Worker) settlePrinting(ctx context.Context, j *Job) (change, error) {
	if j.Card == nil || j.Card.PrintCount == nil {
		return change{}, errors.New("no printer counter was stored before printing")
	}
	st, err := w.status(ctx)
	if err != nil {
		return change{}, err
	}
	before := *j.Card.PrintCount
	if st.PrintCounter > before {
		return change{to: Printed, step: "continue: print confirmed by counter", card: cardUpdate{printed: true}}, nil
	}
	return change{}, fmt.Errorf("printer counter is %d (was %d before printing), so the print did not finish "+
		"and the card may be partly printed", st.PrintCounter, before)
}
