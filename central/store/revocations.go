package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"permitdesk/central/api"
)

// Revoke ends an application by id or permit number. An issued permit is
// revoked; an approved application whose card was not issued yet is
// cancelled. Either way stations see it in the revocation feed.
func (s *Store) Revoke(ctx context.Context, idOrPermit, reason string) (api.Revocation, error) {
	if reason == "" {
		return api.Revocation{}, fmt.Errorf("revoke %q: a reason is required (--reason)", idOrPermit)
	}
	var rev api.Revocation
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id, status string
		var permit sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT id, status, permit_number FROM applications
			WHERE id = ?1 OR permit_number = ?1`, idOrPermit).Scan(&id, &status, &permit)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no application has id or permit number %q: %w", idOrPermit, ErrNotFound)
		}
		if err != nil {
			return err
		}
		kind, newStatus := api.KindCancelled, "cancelled"
		switch status {
		case "issued":
			kind, newStatus = api.KindRevoked, "revoked"
		case "approved":
		default:
			return fmt.Errorf("application %s is %s and cannot be revoked or cancelled: %w", id, status, ErrState)
		}
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		rev = api.Revocation{Seq: seq, Kind: kind, ApplicationId: id, PermitNumber: permit.String,
			Reason: reason, At: s.now().UTC()}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revocations (seq, kind, application_id, permit_number, reason, at)
			VALUES (?,?,?,?,?,?)`, seq, string(kind), id, permit.String, reason, formatTime(rev.At)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE applications SET status = ? WHERE id = ?`, newStatus, id)
		return err
	})
	return rev, err
}

// Revocations returns revocations and cancellations after the cursor.
func (s *Store) Revocations(ctx context.Context, after int64, limit int) ([]api.Revocation, bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, kind, application_id, permit_number, reason, at
		FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list revocations: %w", err)
	}
	defer rows.Close()
	var out []api.Revocation
	for rows.Next() {
		r, err := scanRevocation(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	out, more := page(out, limit)
	return out, more, nil
}

func scanRevocation(sc interface{ Scan(...any) error }) (api.Revocation, error) {
	var r api.Revocation
	var at string
	err := sc.Scan(&r.Seq, &r.Kind, &r.ApplicationId, &r.PermitNumber, &r.Reason, &at)
	r.At = parseTime(at)
	return r, err
}

// PermitStatus reports whether a permit number exists and its latest
// revocation or cancellation, if any.
func (s *Store) PermitStatus(ctx context.Context, number string) (known bool, rev *api.Revocation, err error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM applications WHERE permit_number = ?`, number).Scan(&n); err != nil {
		return false, nil, err
	}
	r, err := scanRevocation(s.db.QueryRowContext(ctx, `SELECT seq, kind, application_id, permit_number, reason, at
		FROM revocations WHERE permit_number = ? ORDER BY seq DESC LIMIT 1`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return n > 0, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	return n > 0, &r, nil
}
