package issuance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/permit"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
)

// issuers may queue, run and hand over jobs.
var issuers = []operators.Role{operators.Clerk, operators.Supervisor}

// Enqueue queues a job for an approved application. It rejects an
// application that has an open job, whose permit already has an issued card,
// or that was cancelled or revoked.
func (s *Service) Enqueue(ctx context.Context, sess *operators.Session, applicationID string) (*Job, error) {
	if err := operators.Require(sess, issuers...); err != nil {
		return nil, err
	}
	applicationID, err := NormalizeApplicationID(applicationID)
	if err != nil {
		return nil, err
	}
	p, err := s.permitFor(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	revocation, err := s.checkRevocation(ctx, applicationID, p.Number)
	if err != nil {
		return nil, err
	}
	var id int64
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := refuseIssued(ctx, tx, p.Number); err != nil {
			return err
		}
		id, err = s.insertJob(ctx, tx, sess, applicationID, KindIssue, p, revocation)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.queued(ctx, id)
}

func (s *Service) queued(ctx context.Context, id int64) (*Job, error) {
	j, err := s.Job(ctx, id)
	if err == nil {
		s.log.Info("job queued", "job", id, "application", j.ApplicationID, "kind", j.Kind)
		s.opt.Bus.Publish(Progress{JobID: id, State: Queued, Step: "queued", At: s.now()})
	}
	return j, err
}

func (s *Service) permitFor(ctx context.Context, applicationID string) (permit.Permit, error) {
	if s.opt.Applications == nil {
		return permit.Permit{}, errors.New("no application source configured: set Options.Applications (the sync service)")
	}
	app, err := s.opt.Applications.Application(ctx, applicationID)
	if errors.Is(err, appsync.ErrApplicationNotFound) {
		return permit.Permit{}, s.applicationNotFound(ctx, applicationID, err)
	}
	if err != nil && !strings.Contains(err.Error(), applicationID) {
		return permit.Permit{}, fmt.Errorf("application %q: %w", applicationID, err)
	}
	if err != nil {
		return permit.Permit{}, err
	}
	p := permit.FromApplication(app, s.now())
	if err := p.Validate(); err != nil {
		return permit.Permit{}, fmt.Errorf("%w: application %q: %w", ErrInvalidPermit, applicationID, err)
	}
	if _, err := s.sealFor(ctx, applicationID, p); err != nil {
		return permit.Permit{}, err
	}
	return p, nil
}

// checkRevocation returns a note for the audit log when the check was
// skipped under the allow policy.
func (s *Service) checkRevocation(ctx context.Context, applicationID, number string) (string, error) {
	if s.opt.Revocations == nil {
		return "", nil
	}
	revoked, reason, err := s.opt.Revocations.Revoked(ctx, applicationID, number)
	switch {
	case err != nil && errors.Is(err, ErrRevocationUnknown) && !s.opt.BlockWhenRevocationUnknown:
		s.log.Warn("revocation status unknown, queueing anyway", "application", applicationID, "err", err)
		return "unknown (offline), queued under the allow policy", nil
	case err != nil:
		return "", fmt.Errorf("check revocation of application %q: %w; retry when the central system "+
			"is reachable", applicationID, err)
	case revoked:
		return "", fmt.Errorf("%w: application %q: %s", ErrRevoked, applicationID, reason)
	}
	return "checked", nil
}

func refuseIssued(ctx context.Context, tx *sql.Tx, number string) error {
	var serial sql.NullString
	var cardID int64
	err := tx.QueryRowContext(ctx, `SELECT id, serial FROM cards WHERE permit_number = ? AND state = 'issued'`,
		number).Scan(&cardID, &serial)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up cards of permit %q: %w", number, err)
	}
	return fmt.Errorf("%w: permit %q is on card %d (serial %s); a supervisor can approve a reprint",
		ErrAlreadyIssued, number, cardID, serial.String)
}

func (s *Service) insertJob(ctx context.Context, tx *sql.Tx, sess *operators.Session, applicationID, kind string,
	p permit.Permit, revocation string) (int64, error) {
	text, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("encode permit %q: %w", p.Number, err)
	}
	now := stamp(s.now())
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO jobs (application_id, permit_number, kind, state, printer, permit,
		created_by, created_at, updated_at) VALUES (?, ?, ?, 'queued', '', ?, ?, ?, ?) RETURNING id`,
		applicationID, p.Number, kind, string(text), sess.Operator.ID, now, now).Scan(&id)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return 0, s.openJobError(ctx, tx, applicationID)
	}
	if err != nil {
		return 0, fmt.Errorf("queue application %q: %w", applicationID, err)
	}
	detail := map[string]any{"from": "", "to": string(Queued), "step": "queued", "kind": kind,
		"application": applicationID, "permit": p.Number}
	if revocation != "" {
		detail["revocation"] = revocation
	}
	text, _ = json.Marshal(detail)
	if _, err := tx.ExecContext(ctx, `INSERT INTO job_events (job_id, from_state, to_state, operator_id, detail, at)
		VALUES (?, '', 'queued', ?, ?, ?)`, id, sess.Operator.ID, string(text), now); err != nil {
		return 0, fmt.Errorf("record event of job %d: %w", id, err)
	}
	return id, audit.Record(ctx, tx, audit.Entry{Actor: sess.Operator.Login, Action: audit.ActionIssuanceStep,
		Subject: fmt.Sprintf("job:%d", id), Detail: detail})
}

func (s *Service) openJobError(ctx context.Context, tx *sql.Tx, applicationID string) error {
	var id int64
	var state string
	tx.QueryRowContext(ctx, `SELECT id, state FROM jobs WHERE application_id = ? AND state NOT IN
		('issued', 'voided')`, applicationID).Scan(&id, &state)
	return fmt.Errorf("%w: application %q is job %d (%s); see permitdesk queue show %d", ErrJobOpen,
		applicationID, id, state, id)
}

// Job returns one job with its current card.
func (s *Service) Job(ctx context.Context, id int64) (*Job, error) { return loadJob(ctx, s.db, id) }

// ListOptions filter List.
type ListOptions struct {
	// States keeps jobs in these states; empty means all.
	States []State
	// Limit caps the count, newest first; 0 means 100.
	Limit int
}

// List returns jobs, newest first.
func (s *Service) List(ctx context.Context, o ListOptions) ([]*Job, error) {
	if o.Limit <= 0 {
		o.Limit = 100
	}
	query := `SELECT ` + jobColumns + ` FROM jobs`
	var args []any
	if len(o.States) > 0 {
		query += ` WHERE state IN (?` + strings.Repeat(", ?", len(o.States)-1) + `)`
		for _, st := range o.States {
			args = append(args, st)
		}
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, o.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, j := range out {
		if j.CardID != 0 {
			if j.Card, err = loadCard(ctx, s.db, j.CardID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Events returns a job's history, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, e.from_state, e.to_state, e.card_id,
		COALESCE(o.login, ''), e.detail, e.at FROM job_events e LEFT JOIN operators o ON o.id = e.operator_id
		WHERE e.job_id = ? ORDER BY e.id`, id)
	if err != nil {
		return nil, fmt.Errorf("read events of job %d: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var card sql.NullInt64
		var at string
		if err := rows.Scan(&e.ID, &e.From, &e.To, &card, &e.Actor, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("read events of job %d: %w", id, err)
		}
		e.CardID, e.At = card.Int64, parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Handover records that the clerk handed the card over. This is the moment
// the card counts as issued and the issued record is queued for the central
// system.
func (s *Service) Handover(ctx context.Context, sess *operators.Session, id int64) (*Job, error) {
	if err := operators.Require(sess, issuers...); err != nil {
		return nil, err
	}
	var changed bool
	return s.move(ctx, id, change{to: Issued, expect: AwaitingHandover, actor: sess.Operator.Login,
		step: "handed over", card: cardUpdate{issued: true},
		before: func(ctx context.Context, tx *sql.Tx, j *Job) error {
			var err error
			changed, err = s.carriesAddressChange(ctx, tx, j)
			return err
		},
		records: func(j *Job) []Record { return s.issuedRecords(j, changed) }})
}

// carriesAddressChange reports whether a reprint job carries the address of
// an address change rather than the application's address.
func (s *Service) carriesAddressChange(ctx context.Context, tx *sql.Tx, j *Job) (bool, error) {
	if j.Kind != KindReprint {
		return false, nil
	}
	change, err := latestAddressChange(ctx, tx, j.PermitNumber)
	if err != nil || change == nil {
		return false, err
	}
	return change.Address == j.Permit.Address, nil
}

// issuedRecords returns the issued record of the job's card and, when the
// card carries a changed address, an address_changed record, so that the
// central system holds the new card's address as well as its serial.
func (s *Service) issuedRecords(j *Job, addressChanged bool) []Record {
	recs := []Record{s.cardRecord(j, RecordIssued, "")}
	if addressChanged {
		rec := s.cardRecord(j, RecordAddressChanged, "")
		addr := j.Permit.Address
		rec.Address = &addr
		recs = append(recs, rec)
	}
	return recs
}

// SpoilAtHandover records a card found defective at the counter: it goes to
// the reject box and the job can be retried with a new card.
func (s *Service) SpoilAtHandover(ctx context.Context, sess *operators.Session, id int64, reason string) (
	*Job, error) {
	if err := operators.Require(sess, issuers...); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, errors.New("a reason is required to spoil a card: say what is wrong with it")
	}
	return s.spoil(ctx, id, AwaitingHandover, sess.Operator.Login, "spoiled at handover: "+reason)
}

// spoil moves a job from expect to Spoiled with reason and queues the
// spoiled record.
func (s *Service) spoil(ctx context.Context, id int64, expect State, actor, reason string) (*Job, error) {
	return s.move(ctx, id, change{to: Spoiled, expect: expect, actor: actor, step: "spoiled",
		card: cardUpdate{reason: reason}, attention: ptr(reason), claim: ptr(""),
		detail:  map[string]any{"reason": reason},
		records: func(j *Job) []Record { return s.spoiledRecord(j, reason) }})
}

// spoiledRecord returns the spoiled record of the job's card. A card whose
// chip was never written has no known serial, which the central API
// requires, so it is counted in the local stock only.
func (s *Service) spoiledRecord(j *Job, reason string) []Record {
	if j.Card == nil || j.Card.Serial == "" {
		return nil
	}
	return []Record{s.cardRecord(j, RecordSpoiled, reason)}
}

// Requeue queues a spoiled job again; the next run takes a new card. The
// spoiled card stays recorded against the job's history.
func (s *Service) Requeue(ctx context.Context, sess *operators.Session, id int64) (*Job, error) {
	if err := operators.Require(sess, issuers...); err != nil {
		return nil, err
	}
	return s.requeue(ctx, id, sess.Operator.Login)
}

func (s *Service) requeue(ctx context.Context, id int64, actor string) (*Job, error) {
	detail := map[string]any{"retry": true}
	return s.move(ctx, id, change{to: Queued, expect: Spoiled, actor: actor, step: "retry",
		claim: ptr(""), attention: ptr(""), detail: detail,
		before: func(ctx context.Context, tx *sql.Tx, j *Job) error {
			detail["spoiled_card"] = j.CardID
			j.CardID, j.Card, j.Attempt, j.Printer = 0, nil, j.Attempt+1, ""
			return nil
		}})
}
