package audit

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ErrBroken is wrapped by every chain failure that Verify reports.
var ErrBroken = errors.New("audit log chain is broken")

// Break describes the first record where the chain fails.
type Break struct {
	// Seq is the sequence number of the first bad record; for a missing tail
	// it is the first sequence number that is missing.
	Seq    int64
	Reason string
}

// Report is the result of Verify.
type Report struct {
	// Rows is the number of records checked.
	Rows int64
	// Head is the newest sequence number the head table records.
	Head int64
	// Break is nil when the whole chain is intact.
	Break *Break
}

// Err returns nil for an intact chain and an error wrapping ErrBroken that
// names the first bad record otherwise.
func (r Report) Err() error {
	if r.Break == nil {
		return nil
	}
	return fmt.Errorf("%w at record %d: %s", ErrBroken, r.Break.Seq, r.Break.Reason)
}

// Verify recomputes the whole chain and the head. It reads in one snapshot,
// so concurrent appends do not cause false reports.
func Verify(ctx context.Context, db *sql.DB) (Report, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	defer tx.Rollback()

	var rep Report
	headHash := genesis
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&rep.Head, &headHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Report{}, fmt.Errorf("read audit head: %w", err)
	}
	last, lastHash, err := walk(ctx, tx, &rep)
	if err != nil || rep.Break != nil {
		return rep, err
	}
	switch {
	case last < rep.Head:
		rep.Break = &Break{Seq: last + 1, Reason: fmt.Sprintf(
			"records %d to %d are missing: the head says the log ends at %d", last+1, rep.Head, rep.Head)}
	case last > rep.Head:
		rep.Break = &Break{Seq: rep.Head + 1, Reason: fmt.Sprintf(
			"record %d is past the head (%d): it was added outside the audit API", rep.Head+1, rep.Head)}
	case lastHash != headHash:
		rep.Break = &Break{Seq: last, Reason: "hash differs from the head's hash"}
	}
	return rep, nil
}

// walk checks every row against its predecessor and returns the last
// sequence number and hash.
func walk(ctx context.Context, tx *sql.Tx, rep *Report) (int64, string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash
		FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, "", fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var prevSeq int64
	prevHash := genesis
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return 0, "", err
		}
		rep.Rows++
		if b := check(r, prevSeq, prevHash); b != nil {
			rep.Break = b
			return r.Seq, r.Hash, nil
		}
		prevSeq, prevHash = r.Seq, r.Hash
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("read audit log: %w", err)
	}
	return prevSeq, prevHash, nil
}

func check(r Row, prevSeq int64, prevHash string) *Break {
	switch {
	case r.Seq != prevSeq+1:
		return &Break{Seq: prevSeq + 1, Reason: fmt.Sprintf(
			"record %d is missing: record %d follows record %d", prevSeq+1, r.Seq, prevSeq)}
	case r.PrevHash != prevHash:
		return &Break{Seq: r.Seq, Reason: "previous hash does not match the hash of the record before"}
	case chainHash(r) != r.Hash:
		return &Break{Seq: r.Seq, Reason: "content does not match its hash: the record was edited"}
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRow(s scanner) (Row, error) {
	var r Row
	var detail string
	if err := s.Scan(&r.Seq, &r.At, &r.Actor, &r.Action, &r.Subject, &detail, &r.PrevHash, &r.Hash); err != nil {
		return Row{}, fmt.Errorf("read audit row: %w", err)
	}
	r.Detail = json.RawMessage(detail)
	return r, nil
}

// Formats accepted by Export.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ExportOptions select the records Export writes.
type ExportOptions struct {
	// From and To bound the records by time, From inclusive and To
	// exclusive; zero values leave that side open.
	From, To time.Time
	// Format is FormatCSV or FormatJSON; empty means CSV.
	Format string
}

// Export writes the selected records to w, including their hashes, so the
// export can be checked against the chain later. It returns the count.
func Export(ctx context.Context, db *sql.DB, w io.Writer, o ExportOptions) (int, error) {
	if o.Format == "" {
		o.Format = FormatCSV
	}
	if o.Format != FormatCSV && o.Format != FormatJSON {
		return 0, fmt.Errorf("invalid export format %q: use csv or json", o.Format)
	}
	from, to := "", "9999"
	if !o.From.IsZero() {
		from = o.From.UTC().Format(TimeFormat)
	}
	if !o.To.IsZero() {
		to = o.To.UTC().Format(TimeFormat)
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash
		FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq`, from, to)
	if err != nil {
		return 0, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return 0, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read audit log: %w", err)
	}
	if o.Format == FormatJSON {
		return len(out), writeJSON(w, out)
	}
	return len(out), writeCSV(w, out)
}

func writeJSON(w io.Writer, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

func writeCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash"})
	for _, r := range rows {
		cw.Write([]string{strconv.FormatInt(r.Seq, 10), r.At, r.Actor, r.Action, r.Subject,
			string(r.Detail), r.PrevHash, r.Hash})
	}
	cw.Flush()
	return cw.Error()
}
