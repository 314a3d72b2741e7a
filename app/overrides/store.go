package overrides

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
	"permitdesk/devices/registry"
)

// keyPrefix starts the settings key of each override, followed by the
// slot, such as "devices.override.printer". The value is the Override as
// JSON.
const keyPrefix = "devices.override."

// Options configure New.
type Options struct {
	// Now returns the time; nil means time.Now.
	Now func() time.Time
	// Logger receives assignments and clears; nil discards them.
	Logger *slog.Logger
}

// Service stores the overrides in the settings table of a migrated station
// database. Assign and Clear are for technicians and supervisors, and each
// writes an audit entry in the same transaction. It is safe for concurrent
// use because *sql.DB is.
type Service struct {
	db  *sql.DB
	now func() time.Time
	log *slog.Logger
}

// New returns a Service over db.
func New(db *sql.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, now: o.Now, log: o.Logger.With("component", "device_overrides")}
}

// List returns the stored overrides in Slots order. See Read for rows that
// cannot be used.
func (s *Service) List(ctx context.Context) ([]Override, error) {
	return Read(ctx, s.db)
}

// Assign checks c against found (see Resolve) and stores it as slot's
// override, replacing an earlier one. Only technicians and supervisors may
// assign devices.
func (s *Service) Assign(ctx context.Context, sess *operators.Session, slot Slot, c Choice,
	found registry.Found) (Override, error) {
	if err := operators.Require(sess, operators.Technician, operators.Supervisor); err != nil {
		return Override{}, err
	}
	o, err := Resolve(slot, c, found)
	if err != nil {
		return Override{}, err
	}
	o.SetBy, o.SetAt = operators.Actor(sess), s.now().UTC()
	value, err := json.Marshal(o)
	if err != nil {
		return Override{}, fmt.Errorf("encode the %s override: %w", slot, err)
	}
	var previous string
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if previous, err = storedValue(ctx, tx, slot); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET
				value = excluded.value,
				updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`, keyPrefix+string(slot), string(value)); err != nil {
			return fmt.Errorf("store the %s override: %w", slot, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: o.SetBy, Action: audit.ActionConfigChange,
			Subject: "device:" + string(slot),
			Detail:  map[string]any{"change": "assign", "value": o.String(), "previous": orFile(previous)}})
	})
	if err != nil {
		return Override{}, err
	}
	s.log.Info("device assigned", "slot", slot, "device", o.String(), "previous", orFile(previous), "by", o.SetBy)
	return o, nil
}

// Clear removes slot's override, so the slot uses the configuration
// file's device again. It returns false when there was none to remove.
// Only technicians and supervisors may clear overrides.
func (s *Service) Clear(ctx context.Context, sess *operators.Session, slot Slot) (bool, error) {
	if err := operators.Require(sess, operators.Technician, operators.Supervisor); err != nil {
		return false, err
	}
	if _, err := ParseSlot(string(slot)); err != nil {
		return false, err
	}
	var previous string
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		previous, err = storedValue(ctx, tx, slot)
		if err != nil || previous == "" {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, keyPrefix+string(slot)); err != nil {
			return fmt.Errorf("remove the %s override: %w", slot, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: operators.Actor(sess), Action: audit.ActionConfigChange,
			Subject: "device:" + string(slot),
			Detail:  map[string]any{"change": "clear", "previous": previous}})
	})
	if err != nil || previous == "" {
		return false, err
	}
	s.log.Info("device override cleared", "slot", slot, "previous", previous, "by", operators.Actor(sess))
	return true, nil
}

// storedValue describes slot's stored override for the audit log, or
// returns "" when there is none.
func storedValue(ctx context.Context, tx *sql.Tx, slot Slot) (string, error) {
	var value string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, keyPrefix+string(slot)).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the %s override: %w", slot, err)
	}
	var o Override
	if json.Unmarshal([]byte(value), &o) != nil {
		return "unreadable: " + value, nil
	}
	return o.String(), nil
}

// orFile names the configuration file as the previous value of a slot
// without an override.
func orFile(previous string) string {
	if previous == "" {
		return "configuration file"
	}
	return previous
}

// Querier is the part of *sql.DB and *sql.Tx that Read needs.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Read returns the overrides stored in db in Slots order. A row that does
// not decode or does not fit its slot, as a newer permitdesk might write,
// is left out: the error then names each such row, and the valid
// overrides are returned with it.
func Read(ctx context.Context, db Querier) ([]Override, error) {
	rows, err := db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key GLOB ? ORDER BY key`,
		keyPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("read device overrides: %w", err)
	}
	defer rows.Close()
	var out []Override
	var bad []error
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return nil, fmt.Errorf("read device overrides: %w", err)
		}
		var o Override
		if err := json.Unmarshal([]byte(value), &o); err != nil {
			bad = append(bad, fmt.Errorf("setting %s: %w", key, err))
			continue
		}
		if o.Slot != Slot(strings.TrimPrefix(key, keyPrefix)) {
			bad = append(bad, fmt.Errorf("setting %s contains an override for the slot %q", key, o.Slot))
			continue
		}
		if err := o.check(); err != nil {
			bad = append(bad, fmt.Errorf("setting %s: %w", key, err))
			continue
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read device overrides: %w", err)
	}
	slices.SortFunc(out, func(a, b Override) int {
		return slices.Index(Slots, a.Slot) - slices.Index(Slots, b.Slot)
	})
	if len(bad) > 0 {
		return out, fmt.Errorf("unusable device overrides left out: %w", errors.Join(bad...))
	}
	return out, nil
}

// ReadDataDir returns the overrides stored in the station database in
// dir, for commands that have not opened the database. It returns none
// when dir has no database yet, and creates nothing. See Read for rows
// that cannot be used.
func ReadDataDir(ctx context.Context, dir string) ([]Override, error) {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	db, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// A database that was never migrated has no settings table yet.
	var tables int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'settings'`).
		Scan(&tables)
	if err != nil {
		return nil, fmt.Errorf("read device overrides: %w", err)
	}
	if tables == 0 {
		return nil, nil
	}
	return Read(ctx, db)
}
