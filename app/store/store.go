// Package store opens the workstation's SQLite database and applies the
// embedded schema migrations. The database runs in WAL mode with a busy
// timeout, and every transaction begins IMMEDIATE, because the modernc driver
// returns SQLITE_BUSY at once for a deferred BEGIN that later needs to write.
//
// A database whose schema is newer than this binary is refused unchanged.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrTooNew means the database was migrated by a newer permitdesk.
var ErrTooNew = errors.New("database schema is newer than this program")

// FileName is the database file inside the data directory.
const FileName = "permitdesk.db"

// DSN returns the connection string for a database file.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database in dir without migrating it.
func Open(dir string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %q: %w", dir, err)
	}
	db, err := sql.Open("sqlite", DSN(filepath.Join(dir, FileName)))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database in %q: %w", dir, err)
	}
	return db, nil
}

// OpenMigrated opens the database and applies pending migrations. It refuses
// a database that is newer than the embedded migrations.
func OpenMigrated(ctx context.Context, dir string, log *slog.Logger) (*sql.DB, error) {
	db, err := Open(dir)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	// Features number their migrations in separate ranges, so a database
	// can miss a lower version that a newer binary adds; goose applies it.
	return goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithAllowOutofOrder(true))
}

// Status describes the schema version of a database.
type Status struct {
	Current int64 // version recorded in the database
	Latest  int64 // newest version this binary knows
	Pending []int64
}

// ReadStatus reports the schema version without changing anything.
func ReadStatus(ctx context.Context, db *sql.DB) (Status, error) {
	p, err := provider(db)
	if err != nil {
		return Status{}, err
	}
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("read schema version: %w", err)
	}
	st := Status{Current: cur}
	for _, src := range p.ListSources() {
		st.Latest = max(st.Latest, src.Version)
	}
	if cur > st.Latest {
		return st, nil
	}
	all, err := p.Status(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("read migration status: %w", err)
	}
	for _, m := range all {
		if m.State == goose.StatePending {
			st.Pending = append(st.Pending, m.Source.Version)
		}
	}
	return st, nil
}

// Migrate applies every pending migration in one go.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	st, err := ReadStatus(ctx, db)
	if err != nil {
		return err
	}
	if st.Current > st.Latest {
		return fmt.Errorf("%w: the database is at version %d and this program knows up to %d; "+
			"install the newer permitdesk or restore a backup, the database was not changed",
			ErrTooNew, st.Current, st.Latest)
	}
	if len(st.Pending) == 0 {
		return nil
	}
	p, err := provider(db)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// InTx runs fn in one IMMEDIATE transaction and commits when fn returns nil.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
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
