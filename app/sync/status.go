package sync

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Status is the state of the link and the queues, for the status bar and
// `permitdesk sync status`.
type Status struct {
	// Configured is false when no central URL is set (offline only).
	Configured bool `json:"configured"`
	// Online is true when the last exchange succeeded.
	Online bool `json:"online"`
	// OfflineSince is when the link started failing, if it is failing.
	OfflineSince *time.Time `json:"offlineSince,omitempty"`
	LastSuccess  *time.Time `json:"lastSuccess,omitempty"`
	LastError    string     `json:"lastError,omitempty"`
	// ClockSkewMs is the server clock minus the station clock, when measured.
	ClockSkewMs *int64 `json:"clockSkewMs,omitempty"`
	// ClockWarning is set when the skew is past the tolerance.
	ClockWarning string `json:"clockWarning,omitempty"`
	// ServerSeq is the highest central sequence seen.
	ServerSeq int64 `json:"serverSeq"`
	// OutboxDepth counts records waiting to be sent.
	OutboxDepth int `json:"outboxDepth"`
	Sent        int `json:"sent"`
	Conflicts   int `json:"conflicts"`
	Rejected    int `json:"rejected"`
	// Parked lists up to 50 conflict and rejected records, newest first.
	Parked       []Parked         `json:"parked,omitempty"`
	Cursors      map[string]int64 `json:"cursors"`
	Applications int              `json:"applications"`
}

// Parked is a record the central system refused, with its reason.
type Parked struct {
	Key          string    `json:"key"`
	Kind         string    `json:"kind"`
	PermitNumber string    `json:"permitNumber"`
	CardSerial   string    `json:"cardSerial"`
	State        string    `json:"state"`
	Reason       string    `json:"reason"`
	At           time.Time `json:"at"`
}

// Status reads the link state and queue counts.
func (s *Service) Status(ctx context.Context) (Status, error) {
	st := Status{Configured: s.o.Client != nil, Cursors: map[string]int64{}}
	if err := s.readLink(ctx, &st); err != nil {
		return st, err
	}
	if err := s.readCounts(ctx, &st); err != nil {
		return st, err
	}
	if err := s.readParked(ctx, &st); err != nil {
		return st, err
	}
	return st, s.readCursors(ctx, &st)
}

func (s *Service) readLink(ctx context.Context, st *Status) error {
	var offline, success, measured sql.NullString
	var skew sql.NullInt64
	err := s.o.DB.QueryRowContext(ctx, `SELECT offline_since, last_success_at, last_error, clock_skew_ms,
		skew_measured_at, server_seq FROM sync_link WHERE id = 1`).Scan(&offline, &success, &st.LastError,
		&skew, &measured, &st.ServerSeq)
	if err != nil {
		return fmt.Errorf("read link state: %w", err)
	}
	st.OfflineSince, st.LastSuccess = timePtr(offline), timePtr(success)
	st.Online = st.Configured && st.LastSuccess != nil && st.OfflineSince == nil
	if skew.Valid {
		st.ClockSkewMs = &skew.Int64
		st.ClockWarning = s.describeSkew(time.Duration(skew.Int64) * time.Millisecond)
	}
	return nil
}

func timePtr(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

func (s *Service) readCounts(ctx context.Context, st *Status) error {
	rows, err := s.o.DB.QueryContext(ctx, `SELECT state, count(*) FROM sync_outbox GROUP BY state`)
	if err != nil {
		return fmt.Errorf("count outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return err
		}
		switch state {
		case "pending":
			st.OutboxDepth = n
		case "sent":
			st.Sent = n
		case "conflict":
			st.Conflicts = n
		case "rejected":
			st.Rejected = n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return s.o.DB.QueryRowContext(ctx, `SELECT count(*) FROM sync_applications`).Scan(&st.Applications)
}

func (s *Service) readParked(ctx context.Context, st *Status) error {
	rows, err := s.o.DB.QueryContext(ctx, `SELECT idempotency_key, kind, permit_number, card_serial, state,
		reason, resolved_at FROM sync_outbox WHERE state IN ('conflict', 'rejected') ORDER BY id DESC LIMIT 50`)
	if err != nil {
		return fmt.Errorf("list parked records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Parked
		var at string
		if err := rows.Scan(&p.Key, &p.Kind, &p.PermitNumber, &p.CardSerial, &p.State, &p.Reason, &at); err != nil {
			return err
		}
		p.At = parseTime(at)
		st.Parked = append(st.Parked, p)
	}
	return rows.Err()
}

func (s *Service) readCursors(ctx context.Context, st *Status) error {
	rows, err := s.o.DB.QueryContext(ctx, `SELECT feed, after_seq FROM sync_cursors`)
	if err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var feed string
		var after int64
		if err := rows.Scan(&feed, &after); err != nil {
			return err
		}
		st.Cursors[feed] = after
	}
	return rows.Err()
}
