// Package store is the reference central system's SQLite database: the
// applications it approved, revocations, the house register and the card
// records stations push. It uses modernc.org/sqlite in WAL mode with a busy
// timeout and IMMEDIATE transactions, like the workstation's store.
//
// With a seal key (Options.SealKey) the store signs each application's
// issuance seal when it approves or seeds it (seal.go).
//
// One sequence numbers every change a station can pull. Writers are
// serialised by SQLite, so sequences become visible in increasing order and a
// reader that pages with "after the last sequence seen" never skips one.
package store

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"permitdesk/central/pki"
)

//go:embed schema.sql
var schema string

// FileName is the database file inside the central data directory.
const FileName = "central.db"

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrState    = errors.New("not allowed in the current state")
)

// Options configure Open.
type Options struct {
	// Dir holds central.db; it is created when missing.
	Dir string
	// Now is the server clock; nil means time.Now.
	Now func() time.Time
	// SealKey signs the issuance seal of each application at approval and
	// seeding; nil leaves seeded applications unsealed and makes Approve
	// fail.
	SealKey *pki.SealKey
}

// Store is an open central database.
type Store struct {
	db   *sql.DB
	now  func() time.Time
	seal *pki.SealKey
}

// DSN returns the connection string for a database file: WAL, a 5 s busy
// timeout, foreign keys on and IMMEDIATE transactions.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens or creates the database in o.Dir and applies the schema.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create central data directory %q: %w", o.Dir, err)
	}
	db, err := sql.Open("sqlite", DSN(filepath.Join(o.Dir, FileName)))
	if err != nil {
		return nil, fmt.Errorf("open central database: %w", err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create central schema in %s: %w", o.Dir, err)
	}
	if err := addSealColumns(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("upgrade central schema in %s: %w", o.Dir, err)
	}
	return &Store{db: db, now: o.Now, seal: o.SealKey}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func nextSeq(ctx context.Context, tx querier) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `UPDATE seq SET value = value + 1 WHERE id = 1 RETURNING value`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("next sequence: %w", err)
	}
	return v, nil
}

// MaxSeq returns the highest sequence assigned so far.
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT value FROM seq WHERE id = 1`).Scan(&v)
	return v, err
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// page trims a query result of limit+1 items to limit and reports whether
// more follow.
func page[T any](items []T, limit int) ([]T, bool) {
	if len(items) > limit {
		return items[:limit], true
	}
	return items, false
}

// querier is the subset of *sql.Tx that the record and sequence functions use.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// preparedTx prepares each statement once per transaction, because parsing
// SQL dominates the cost of deciding a batch of records.
type preparedTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newPreparedTx(tx *sql.Tx) *preparedTx { return &preparedTx{tx: tx, stmts: map[string]*sql.Stmt{}} }

func (p *preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := p.stmts[query]; ok {
		return st
	}
	st, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.stmts[query] = st
	return st
}

// QueryRowContext runs a prepared query; a statement that fails to prepare
// runs unprepared, which reports the error through the row.
func (p *preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}

// ExecContext runs a prepared statement.
func (p *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

// Close releases the prepared statements.
func (p *preparedTx) Close() {
	for _, st := range p.stmts {
		st.Close()
	}
}
