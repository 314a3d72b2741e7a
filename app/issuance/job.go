package issuance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/permit"
)

// Job kinds.
const (
	KindIssue   = "issue"
	KindReprint = "reprint"
)

// Job is an issuance job as stored.
type Job struct {
	ID            int64         `json:"id"`
	ApplicationID string        `json:"applicationId"`
	PermitNumber  string        `json:"permitNumber"`
	Kind          string        `json:"kind"`
	State         State         `json:"state"`
	Printer       string        `json:"printer,omitempty"`
	Permit        permit.Permit `json:"-"`
	CardID        int64         `json:"cardId,omitempty"`
	Attempt       int           `json:"attempt"`
	ClaimedBy     string        `json:"claimedBy,omitempty"`
	// AttentionFrom is the state the job was in when it needed attention.
	AttentionFrom State `json:"attentionFrom,omitempty"`
	// Attention describes what is known about the card when the job needs
	// attention, or why it was spoiled.
	Attention string    `json:"attention,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Card is the job's current card, nil before one is taken.
	Card *Card `json:"card,omitempty"`
}

// Choices lists what an operator can do with the job now.
func (j *Job) Choices() []Choice {
	switch j.State {
	case NeedsAttention:
		return []Choice{ChoiceContinue, ChoiceRetry, ChoiceVoid}
	case Spoiled:
		return []Choice{ChoiceRetry, ChoiceVoid}
	case Queued, AwaitingHandover, Issued:
		return []Choice{ChoiceVoid}
	}
	return nil
}

// Card is a physical card taken from stock.
type Card struct {
	ID    int64 `json:"id"`
	JobID int64 `json:"jobId"`
	LotID int64 `json:"lotId"`
	// LotNumber is the lot number printed on the box the card came from.
	LotNumber    string    `json:"lotNumber"`
	Serial       string    `json:"serial,omitempty"`
	PermitNumber string    `json:"permitNumber"`
	State        string    `json:"state"`
	Reason       string    `json:"reason,omitempty"`
	PrintCount   *int64    `json:"printCount,omitempty"`
	VerifiedAt   time.Time `json:"verifiedAt,omitzero"`
	PrintedAt    time.Time `json:"printedAt,omitzero"`
	IssuedAt     time.Time `json:"issuedAt,omitzero"`
}

// Event is one transition in a job's history.
type Event struct {
	ID     int64     `json:"id"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	CardID int64     `json:"cardId,omitempty"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// ErrNotFound means no job has the id.
var ErrNotFound = errors.New("job not found")

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const jobColumns = `id, application_id, permit_number, kind, state, printer, permit, card_id, attempt,
	claimed_by, attention_from, attention, created_at, updated_at`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var permitJSON, created, updated string
	var cardID sql.NullInt64
	var claimed sql.NullString
	err := row.Scan(&j.ID, &j.ApplicationID, &j.PermitNumber, &j.Kind, &j.State, &j.Printer, &permitJSON,
		&cardID, &j.Attempt, &claimed, &j.AttentionFrom, &j.Attention, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(permitJSON), &j.Permit); err != nil {
		return nil, fmt.Errorf("job %d: stored permit is not valid JSON: %w", j.ID, err)
	}
	j.CardID, j.ClaimedBy = cardID.Int64, claimed.String
	j.CreatedAt, j.UpdatedAt = parseTime(created), parseTime(updated)
	return &j, nil
}

func loadJob(ctx context.Context, q querier, id int64) (*Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d; list jobs with permitdesk queue list", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read job %d: %w", id, err)
	}
	if j.CardID != 0 {
		if j.Card, err = loadCard(ctx, q, j.CardID); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func loadCard(ctx context.Context, q querier, id int64) (*Card, error) {
	var c Card
	var serial, verified, printed, issued sql.NullString
	var count sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT c.id, c.job_id, c.lot_id, COALESCE(l.lot_number, ''), c.serial,
		c.permit_number, c.state, c.reason, c.print_count, c.verified_at, c.printed_at, c.issued_at
		FROM cards c LEFT JOIN stock_lots l ON l.id = c.lot_id WHERE c.id = ?`, id).Scan(&c.ID, &c.JobID,
		&c.LotID, &c.LotNumber, &serial, &c.PermitNumber, &c.State, &c.Reason, &count, &verified, &printed, &issued)
	if err != nil {
		return nil, fmt.Errorf("read card %d: %w", id, err)
	}
	c.Serial = serial.String
	if count.Valid {
		c.PrintCount = &count.Int64
	}
	c.VerifiedAt, c.PrintedAt, c.IssuedAt = parseTime(verified.String), parseTime(printed.String),
		parseTime(issued.String)
	return &c, nil
}

func stamp(t time.Time) string { return t.UTC().Format(audit.TimeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(audit.TimeFormat, s)
	return t
}
