package sync

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"permitdesk/app/permit"
	"permitdesk/app/store"
	"permitdesk/central/api"
)

// RecordKind names what happened to a card.
type RecordKind string

// Record kinds, as the central API names them.
const (
	KindIssued         RecordKind = "issued"
	KindSpoiled        RecordKind = "spoiled"
	KindVoided         RecordKind = "voided"
	KindAddressChanged RecordKind = "address_changed"
)

// Record is an issuance event to report to the central system.
type Record struct {
	// Key is the idempotency key; empty means a new random one. A caller
	// that may enqueue the same event twice, such as a job replayed after a
	// crash, passes a key derived from the job and step.
	Key           string
	Kind          RecordKind
	ApplicationID string
	PermitNumber  string
	CardSerial    string
	// Reason is required for voided records and useful for spoiled ones.
	Reason string
	// Address is the new address of an address_changed record.
	Address *permit.Address
	// At is when it happened on the station clock; zero means now.
	At time.Time
}

// maxRecordBytes bounds one queued record, so that a batch of BatchSize
// records stays far below the server's request limit and no single record
// can make every batch that carries it fail.
const maxRecordBytes = 16 << 10

// Enqueue adds a record to the outbox inside tx, so the row commits or rolls
// back with the caller's issuance step. The record is sent after the commit.
// Enqueueing a key that is already queued for the same kind and card does
// nothing, and for another kind or card fails. It returns the key.
func (s *Service) Enqueue(ctx context.Context, tx *sql.Tx, r Record) (string, error) {
	body, err := s.recordBody(r)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(body)
	if len(b) > maxRecordBytes {
		return "", fmt.Errorf("%s record for card %s has %d bytes, more than %d: shorten the reason",
			r.Kind, r.CardSerial, len(b), maxRecordBytes)
	}
	now := formatTime(s.o.Now())
	res, err := tx.ExecContext(ctx, `INSERT INTO sync_outbox (idempotency_key, kind, application_id,
		permit_number, card_serial, body, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (idempotency_key) DO NOTHING`, body.IdempotencyKey, string(r.Kind), r.ApplicationID,
		r.PermitNumber, r.CardSerial, string(b), now, now)
	if err != nil {
		return "", fmt.Errorf("queue %s record for card %s: %w", r.Kind, r.CardSerial, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if err := sameQueued(ctx, tx, body.IdempotencyKey, string(r.Kind), r.CardSerial); err != nil {
			return "", err
		}
	}
	s.poke()
	return body.IdempotencyKey, nil
}

func sameQueued(ctx context.Context, tx *sql.Tx, key, kind, card string) error {
	var k, c string
	if err := tx.QueryRowContext(ctx, `SELECT kind, card_serial FROM sync_outbox WHERE idempotency_key = ?`,
		key).Scan(&k, &c); err != nil {
		return err
	}
	if k != kind || c != card {
		return fmt.Errorf("idempotency key %q is already queued for a %s record of card %s: use a new key", key, k, c)
	}
	return nil
}

func (s *Service) recordBody(r Record) (api.Record, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"kind", string(r.Kind)}, {"application id", r.ApplicationID},
		{"permit number", r.PermitNumber}, {"card serial", r.CardSerial}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return api.Record{}, fmt.Errorf("record for the central system is missing %s", strings.Join(missing, ", "))
	}
	if r.Key == "" {
		r.Key = newKey(s.o.StationID)
	}
	if r.At.IsZero() {
		r.At = s.o.Now()
	}
	body := api.Record{IdempotencyKey: r.Key, Kind: api.RecordKind(r.Kind), ApplicationId: r.ApplicationID,
		PermitNumber: r.PermitNumber, CardSerial: r.CardSerial, StationTime: r.At.UTC(), Reason: r.Reason}
	if r.Address != nil {
		body.Address = &api.Address{HouseCode: r.Address.HouseCode, District: r.Address.District,
			Street: r.Address.Street, Community: r.Address.Community, Detail: r.Address.Detail}
	}
	return body, nil
}

// PushReport counts what a push did.
type PushReport struct {
	Batches   int `json:"batches"`
	Accepted  int `json:"accepted"`
	Duplicate int `json:"duplicate"`
	Conflict  int `json:"conflict"`
	Rejected  int `json:"rejected"`
	Retry     int `json:"retry"`
}

type queued struct {
	id       int64
	key      string
	attempts int
	body     api.Record
}

// Push drains the due outbox rows in batches until none is due or a batch
// fails. After a failed batch the next one is half the size, down to a
// single record, which is then set aside with its own backoff so that one
// record that keeps failing does not block the others.
func (s *Service) Push(ctx context.Context) (PushReport, error) {
	var rep PushReport
	if s.o.Client == nil {
		return rep, fmt.Errorf("%w: central.url is not configured", ErrOffline)
	}
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	for ctx.Err() == nil {
		rows, err := s.due(ctx, s.batchSize())
		if err != nil || len(rows) == 0 {
			return rep, err
		}
		if err := s.pushBatch(ctx, rows, &rep); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

func (s *Service) batchSize() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(1, s.o.BatchSize>>min(s.failures, 16))
}

func (s *Service) due(ctx context.Context, limit int) ([]queued, error) {
	// A retry time further ahead than the longest backoff means the station
	// clock was set back since; such rows are due now rather than stuck.
	now := s.o.Now()
	rows, err := s.o.DB.QueryContext(ctx, `SELECT id, idempotency_key, attempts, body FROM sync_outbox
		WHERE state = 'pending' AND (next_attempt_at <= ? OR next_attempt_at > ?) ORDER BY id LIMIT ?`,
		formatTime(now), formatTime(now.Add(s.o.BackoffMax)), limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []queued
	for rows.Next() {
		var q queued
		var body string
		if err := rows.Scan(&q.id, &q.key, &q.attempts, &body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &q.body); err != nil {
			return nil, fmt.Errorf("outbox row %d contains an invalid record: %w", q.id, err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

func (s *Service) pushBatch(ctx context.Context, rows []queued, rep *PushReport) error {
	skew, known := s.skew(ctx)
	recs := make([]api.Record, len(rows))
	for i, q := range rows {
		recs[i] = q.body
		if known {
			recs[i].ClockSkewMs = skew.Milliseconds()
		}
	}
	res, obs, err := s.o.Client.PushRecords(ctx, recs)
	if err == nil {
		err = checkResults(rows, res.Results)
	}
	if err != nil {
		s.batchFailed(ctx, rows, err)
		return err
	}
	s.mu.Lock()
	s.failures = 0
	s.mu.Unlock()
	rep.Batches++
	return s.applyResults(ctx, rows, res.Results, obs, rep)
}

// checkResults accepts a reply only when it holds exactly one result for
// each record sent; anything else is treated as a malformed reply.
func checkResults(rows []queued, results []api.RecordResult) error {
	if len(results) != len(rows) {
		return fmt.Errorf("%w: %d results for %d records", ErrMalformed, len(results), len(rows))
	}
	sent := make(map[string]bool, len(rows))
	for _, q := range rows {
		sent[q.key] = true
	}
	for _, r := range results {
		if !sent[r.IdempotencyKey] {
			return fmt.Errorf("%w: result for unknown or repeated key %q", ErrMalformed, r.IdempotencyKey)
		}
		delete(sent, r.IdempotencyKey)
		switch r.Status {
		case api.StatusAccepted, api.StatusDuplicate, api.StatusConflict, api.StatusRejected, api.StatusRetry:
		default:
			return fmt.Errorf("%w: unknown status %q for key %q", ErrMalformed, r.Status, r.IdempotencyKey)
		}
	}
	return nil
}

func (s *Service) batchFailed(ctx context.Context, rows []queued, err error) {
	s.mu.Lock()
	s.failures++
	s.mu.Unlock()
	if isCentralError(err) {
		s.linkFailed(ctx, err)
	}
	next := s.o.Now()
	if len(rows) == 1 {
		next = next.Add(s.backoff(rows[0].attempts + 1))
	}
	ids := make([]any, 0, len(rows)+2)
	ids = append(ids, err.Error(), formatTime(next))
	for _, q := range rows {
		ids = append(ids, q.id)
	}
	_, dbErr := s.o.DB.ExecContext(ctx, `UPDATE sync_outbox SET attempts = attempts + 1, last_error = ?,
		next_attempt_at = ? WHERE id IN (?`+strings.Repeat(",?", len(rows)-1)+`)`, ids...)
	if dbErr != nil {
		s.log.Error("store push failure", "error", dbErr)
	}
	s.log.Warn("push failed", "records", len(rows), "error", err)
}

// applyResults stores the results and the link state in one transaction.
func (s *Service) applyResults(ctx context.Context, rows []queued, results []api.RecordResult, obs Observation,
	rep *PushReport) error {
	byKey := make(map[string]queued, len(rows))
	for _, q := range rows {
		byKey[q.key] = q
	}
	var alerts []Alert
	now := s.o.Now()
	err := store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
		sent, err := tx.PrepareContext(ctx, markSent)
		if err != nil {
			return err
		}
		defer sent.Close()
		if err := s.storeObservation(ctx, tx, obs); err != nil {
			return err
		}
		for _, r := range results {
			a, err := s.applyResult(ctx, tx, sent, byKey[r.IdempotencyKey], r, now, rep)
			if err != nil {
				return err
			}
			if a != nil {
				alerts = append(alerts, *a)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store push results: %w", err)
	}
	s.alert(alerts)
	return nil
}

const markSent = `UPDATE sync_outbox SET state = 'sent', result = ?, server_seq = ?, resolved_at = ?,
	last_error = '' WHERE id = ?`

func (s *Service) applyResult(ctx context.Context, tx *sql.Tx, sent *sql.Stmt, q queued, r api.RecordResult,
	now time.Time, rep *PushReport) (*Alert, error) {
	switch r.Status {
	case api.StatusAccepted, api.StatusDuplicate:
		if r.Status == api.StatusAccepted {
			rep.Accepted++
		} else {
			rep.Duplicate++
		}
		_, err := sent.ExecContext(ctx, string(r.Status), r.Seq, formatTime(now), q.id)
		return nil, err
	case api.StatusRetry:
		rep.Retry++
		_, err := tx.ExecContext(ctx, `UPDATE sync_outbox SET attempts = attempts + 1, last_error = ?,
			next_attempt_at = ? WHERE id = ?`, "server: "+r.Reason, formatTime(now.Add(s.backoff(q.attempts+1))), q.id)
		return nil, err
	}
	state := "conflict"
	if r.Status == api.StatusRejected {
		state = "rejected"
		rep.Rejected++
	} else {
		rep.Conflict++
	}
	_, err := tx.ExecContext(ctx, `UPDATE sync_outbox SET state = ?, result = ?, reason = ?, resolved_at = ?
		WHERE id = ?`, state, string(r.Status), r.Reason, formatTime(now), q.id)
	return &Alert{Key: q.key, Kind: string(q.body.Kind), PermitNumber: q.body.PermitNumber,
		CardSerial: q.body.CardSerial, State: state, Reason: r.Reason}, err
}

func (s *Service) alert(alerts []Alert) {
	for _, a := range alerts {
		log := s.log.With("key", a.Key, "kind", a.Kind, "permit_number", a.PermitNumber,
			"card_serial", a.CardSerial, "reason", a.Reason)
		if a.State == "rejected" {
			log.Error("central system rejected a record; it is parked")
		} else {
			log.Warn("central system reported a conflict; the record is parked")
		}
		if s.o.OnAlert != nil {
			s.o.OnAlert(a)
		}
	}
}

// ErrNotParked means Requeue found no parked record under the key.
var ErrNotParked = errors.New("no parked record with that key")

// Requeue puts a parked (conflict or rejected) record back in the queue
// with its key unchanged, after an operator resolved the cause.
func (s *Service) Requeue(ctx context.Context, key string) error {
	res, err := s.o.DB.ExecContext(ctx, `UPDATE sync_outbox SET state = 'pending', result = '', reason = '',
		resolved_at = NULL, next_attempt_at = ? WHERE idempotency_key = ? AND state IN ('conflict', 'rejected')`,
		formatTime(s.o.Now()), key)
	if err != nil {
		return fmt.Errorf("requeue %q: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("requeue %q: %w: list parked records with `permitdesk sync status`", key, ErrNotParked)
	}
	s.poke()
	return nil
}
