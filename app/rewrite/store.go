package rewrite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"permitdesk/app/audit"
)

const timeFormat = audit.TimeFormat

const jobColumns = `id, card_serial, permit_number, application_id, holder_name, old_address, new_address,
	old_sequence, new_sequence, state, attention_from, attention, lookup_online, outbox_key, strip_prints,
	created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanJob(r rowScanner) (*Job, error) {
	var j Job
	var oldAddr, newAddr, created, updated string
	var newSeq sql.NullInt64
	var online int
	err := r.Scan(&j.ID, &j.CardSerial, &j.PermitNumber, &j.ApplicationID, &j.HolderName, &oldAddr, &newAddr,
		&j.OldSequence, &newSeq, &j.State, &j.AttentionFrom, &j.Attention, &online, &j.OutboxKey,
		&j.StripPrints, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(oldAddr), &j.OldAddress); err != nil {
		return nil, fmt.Errorf("rewrite job %d: old address: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(newAddr), &j.NewAddress); err != nil {
		return nil, fmt.Errorf("rewrite job %d: new address: %w", j.ID, err)
	}
	j.NewSequence = int(newSeq.Int64)
	j.LookupOnline = online == 1
	j.CreatedAt, _ = time.Parse(timeFormat, created)
	j.UpdatedAt, _ = time.Parse(timeFormat, updated)
	j.Choices = j.choices()
	return &j, nil
}

func loadJob(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64) (*Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM rewrite_jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no rewrite job %d", ErrNotFound, id)
	}
	return j, err
}

// openJobForCard returns the unfinished job of a card, or nil.
func openJobForCard(ctx context.Context, db *sql.DB, serial string) (*Job, error) {
	j, err := scanJob(db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM rewrite_jobs
		WHERE card_serial = ? AND state NOT IN ('done', 'rolled_back')`, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// insertJob stores a new job in ChipWriting and returns its id.
func insertJob(ctx context.Context, tx *sql.Tx, j *Job, operatorID int64, now time.Time) (int64, error) {
	oldAddr, _ := json.Marshal(j.OldAddress)
	newAddr, _ := json.Marshal(j.NewAddress)
	online := 0
	if j.LookupOnline {
		online = 1
	}
	var by any
	if operatorID != 0 {
		by = operatorID
	}
	ts := now.UTC().Format(timeFormat)
	res, err := tx.ExecContext(ctx, `INSERT INTO rewrite_jobs (card_serial, permit_number, application_id,
		holder_name, old_address, new_address, old_sequence, state, lookup_online, created_by, created_at,
		updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, j.CardSerial, j.PermitNumber, j.ApplicationID,
		j.HolderName, string(oldAddr), string(newAddr), j.OldSequence, ChipWriting, online, by, ts, ts)
	if err != nil {
		return 0, fmt.Errorf("store rewrite job for card %s: %w", j.CardSerial, err)
	}
	return res.LastInsertId()
}

// change is one transition to store.
type change struct {
	from, to      State
	attentionFrom State
	attention     string
	newSequence   int
	outboxKey     string
	stripPrinted  bool
	detail        string
}

// updateJob applies c if the job is still in c.from.
func updateJob(ctx context.Context, tx *sql.Tx, id int64, c change, actor string, now time.Time) error {
	ts := now.UTC().Format(timeFormat)
	var newSeq any
	if c.newSequence != 0 {
		newSeq = c.newSequence
	}
	prints := 0
	if c.stripPrinted {
		prints = 1
	}
	res, err := tx.ExecContext(ctx, `UPDATE rewrite_jobs SET state = ?, attention_from = ?, attention = ?,
		new_sequence = coalesce(?, new_sequence), outbox_key = CASE WHEN ? <> '' THEN ? ELSE outbox_key END,
		strip_prints = strip_prints + ?, updated_at = ? WHERE id = ? AND state = ?`,
		c.to, c.attentionFrom, c.attention, newSeq, c.outboxKey, c.outboxKey, prints, ts, id, c.from)
	if err != nil {
		return fmt.Errorf("update rewrite job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: rewrite job %d is no longer %s", ErrChoice, id, c.from)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO rewrite_events (job_id, from_state, to_state, actor, detail, at)
		VALUES (?,?,?,?,?,?)`, id, c.from, c.to, actor, c.detail, ts)
	return err
}

func insertEvent(ctx context.Context, tx *sql.Tx, id int64, to State, actor, detail string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rewrite_events (job_id, from_state, to_state, actor, detail, at)
		VALUES (?,?,?,?,?,?)`, id, "", to, actor, detail, now.UTC().Format(timeFormat))
	return err
}

func listEvents(ctx context.Context, db *sql.DB, id int64) ([]Event, error) {
	rows, err := db.QueryContext(ctx, `SELECT from_state, to_state, actor, detail, at FROM rewrite_events
		WHERE job_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&e.From, &e.To, &e.Actor, &e.Detail, &at); err != nil {
			return nil, err
		}
		e.At, _ = time.Parse(timeFormat, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func listJobs(ctx context.Context, db *sql.DB, states []State, limit int) ([]*Job, error) {
	q := `SELECT ` + jobColumns + ` FROM rewrite_jobs`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (?` + strings.Repeat(",?", len(states)-1) + `)`
		for _, s := range states {
			args = append(args, s)
		}
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
