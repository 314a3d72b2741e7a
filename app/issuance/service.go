package issuance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
)

// Errors callers branch on.
var (
	ErrBadTransition  = errors.New("transition not allowed")
	ErrStateChanged   = errors.New("job changed meanwhile")
	ErrAlreadyDone    = errors.New("nothing to do")
	ErrJobOpen        = errors.New("application already has an open job")
	ErrAlreadyIssued  = errors.New("permit already has an issued card")
	ErrRevoked        = errors.New("application cancelled or permit revoked")
	ErrOutOfStock     = errors.New("no blank cards in stock")
	ErrInvalidPermit  = errors.New("application cannot be issued")
	ErrNeedsAttention = errors.New("job needs attention")
)

// Options configure a Service.
type Options struct {
	// StationID goes into outbox idempotency keys; empty means "station".
	StationID string
	// Applications returns approved applications; required for Enqueue.
	Applications Applications
	// Seals supplies and checks each application's issuance seal; nil uses
	// Applications when it is also a SealSource. With neither, cards are
	// written without a seal and nothing is checked, which only tests of the
	// workflow use.
	Seals SealSource
	// Revocations is asked before a job is queued; nil skips the check.
	Revocations RevocationChecker
	// BlockWhenRevocationUnknown refuses to queue a job when Revocations
	// cannot answer (config issuance.offline_revocation_policy = "block");
	// false queues it and records that the check was skipped.
	BlockWhenRevocationUnknown bool
	// Outbox receives records for the central system; required.
	Outbox Outbox
	// Operators consumes supervisor approvals; required for Void and
	// Reprint.
	Operators *operators.Service
	// Bus receives progress events; nil means a new bus.
	Bus *Bus
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives service logs; nil discards them.
	Logger *slog.Logger
}

// Service stores and moves issuance jobs. It does not touch devices; a
// Worker does.
type Service struct {
	db  *sql.DB
	opt Options
	log *slog.Logger
}

// New returns a Service on db.
func New(db *sql.DB, o Options) *Service {
	if o.StationID == "" {
		o.StationID = "station"
	}
	if o.Bus == nil {
		o.Bus = NewBus()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, opt: o, log: log.With("component", "issuance")}
}

// Bus returns the progress bus.
func (s *Service) Bus() *Bus { return s.opt.Bus }

// DB returns the service's database.
func (s *Service) DB() *sql.DB { return s.db }

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

// cardUpdate sets card fields with a transition; nil or empty fields are
// left unchanged.
type cardUpdate struct {
	serial     string
	reason     string
	printCount *int64
	verified   bool
	printed    bool
	issued     bool
}

// change is one transition of one job.
type change struct {
	to     State
	expect State // when set, the job must be in this state
	actor  string
	step   string // short name of what happened, for events and progress
	detail map[string]any
	card   cardUpdate
	// claim sets claimed_by: nil leaves it, "" clears it.
	claim *string
	// attention replaces jobs.attention when set.
	attention *string
	// before runs first inside the transaction, after the checks.
	before func(ctx context.Context, tx *sql.Tx, j *Job) error
	// records returns outbox records to enqueue, with the job as updated.
	records func(j *Job) []Record
}

func ptr[T any](v T) *T { return &v }

// move applies one transition in one IMMEDIATE transaction and publishes
// the progress event after commit.
func (s *Service) move(ctx context.Context, id int64, c change) (*Job, error) {
	var j *Job
	var from State
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if j, err = loadJob(ctx, tx, id); err != nil {
			return err
		}
		from = j.State
		if err := checkMove(j, c); err != nil {
			return err
		}
		if c.before != nil {
			if err := c.before(ctx, tx, j); err != nil {
				return err
			}
		}
		return s.apply(ctx, tx, j, c)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("job moved", "job", id, "from", from, "to", c.to, "step", c.step, "card", j.CardID)
	s.opt.Bus.Publish(Progress{JobID: id, State: c.to, Step: c.step, Percent: c.to.Percent(),
		Message: j.Attention, At: s.now()})
	return j, nil
}

func checkMove(j *Job, c change) error {
	if j.State == c.to && j.State.Final() {
		return fmt.Errorf("job %d is already %s: %w", j.ID, j.State, ErrAlreadyDone)
	}
	if c.expect != "" && j.State != c.expect {
		return fmt.Errorf("%w: job %d is %s, expected %s", ErrStateChanged, j.ID, j.State, c.expect)
	}
	if !j.State.CanMove(c.to) {
		return fmt.Errorf("%w: job %d cannot go from %s to %s", ErrBadTransition, j.ID, j.State, c.to)
	}
	return nil
}

// apply writes the card, the job, the event, the audit row and the outbox
// records of one transition.
func (s *Service) apply(ctx context.Context, tx *sql.Tx, j *Job, c change) error {
	now := stamp(s.now())
	from := j.State
	if err := s.updateCard(ctx, tx, j, c, now); err != nil {
		return err
	}
	j.State, j.UpdatedAt = c.to, parseTime(now)
	if c.attention != nil {
		j.Attention = *c.attention
	}
	if c.to == NeedsAttention {
		j.AttentionFrom = from
	}
	if c.claim != nil {
		j.ClaimedBy = *c.claim
	}
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, card_id = ?, attempt = ?, claimed_by = ?,
		attention_from = ?, attention = ?, printer = ?, updated_at = ? WHERE id = ?`,
		j.State, nullInt(j.CardID), j.Attempt, nullString(j.ClaimedBy), j.AttentionFrom, j.Attention, j.Printer,
		now, j.ID)
	if err != nil {
		return fmt.Errorf("job %d to %s: %w", j.ID, c.to, err)
	}
	return s.recordMove(ctx, tx, j, from, c, now)
}

func (s *Service) updateCard(ctx context.Context, tx *sql.Tx, j *Job, c change, now string) error {
	state := c.to.cardState()
	if j.CardID == 0 || (state == "" && c.card == (cardUpdate{})) {
		return nil
	}
	u := c.card
	_, err := tx.ExecContext(ctx, `UPDATE cards SET
		state = CASE WHEN ?1 <> '' THEN ?1 ELSE state END,
		serial = COALESCE(?2, serial),
		reason = CASE WHEN ?3 <> '' THEN ?3 ELSE reason END,
		print_count = COALESCE(?4, print_count),
		verified_at = CASE WHEN ?5 THEN ?8 ELSE verified_at END,
		printed_at = CASE WHEN ?6 THEN ?8 ELSE printed_at END,
		issued_at = CASE WHEN ?7 THEN ?8 ELSE issued_at END,
		updated_at = ?8
		WHERE id = ?9`, state, nullString(u.serial), u.reason, u.printCount, u.verified, u.printed, u.issued,
		now, j.CardID)
	if err != nil {
		return fmt.Errorf("card %d of job %d to %s: %w", j.CardID, j.ID, c.to, err)
	}
	j.Card, err = loadCard(ctx, tx, j.CardID)
	return err
}

func (s *Service) recordMove(ctx context.Context, tx *sql.Tx, j *Job, from State, c change, now string) error {
	detail := map[string]any{"from": string(from), "to": string(c.to), "step": c.step}
	for k, v := range c.detail {
		detail[k] = v
	}
	if j.CardID != 0 {
		detail["card"] = j.CardID
	}
	if j.Card != nil && j.Card.Serial != "" {
		detail["serial"] = j.Card.Serial
	}
	text, _ := json.Marshal(detail)
	if _, err := tx.ExecContext(ctx, `INSERT INTO job_events (job_id, from_state, to_state, card_id, detail, at)
		VALUES (?, ?, ?, ?, ?, ?)`, j.ID, from, c.to, nullInt(j.CardID), string(text), now); err != nil {
		return fmt.Errorf("record event of job %d: %w", j.ID, err)
	}
	action := audit.ActionIssuanceStep
	if c.to == Voided {
		action = audit.ActionVoid
	}
	if err := audit.Record(ctx, tx, audit.Entry{At: parseTime(now), Actor: orSystem(c.actor), Action: action,
		Subject: fmt.Sprintf("job:%d", j.ID), Detail: detail}); err != nil {
		return err
	}
	if c.records == nil {
		return nil
	}
	for _, rec := range c.records(j) {
		if err := s.opt.Outbox.Enqueue(ctx, tx, rec); err != nil {
			return fmt.Errorf("queue %s record of job %d for the central system: %w", rec.Kind, j.ID, err)
		}
	}
	return nil
}

// cardRecord builds the outbox record of kind for the job's current card.
func (s *Service) cardRecord(j *Job, kind, reason string) Record {
	rec := Record{Kind: kind, ApplicationID: j.ApplicationID, PermitNumber: j.PermitNumber,
		StationTime: s.now(), Reason: reason}
	rec.Key = fmt.Sprintf("%s-card-%d-%s", s.opt.StationID, j.CardID, kind)
	if j.Card != nil {
		rec.CardSerial = j.Card.Serial
	}
	return rec
}

func orSystem(actor string) string {
	if actor == "" {
		return audit.System
	}
	return actor
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}
