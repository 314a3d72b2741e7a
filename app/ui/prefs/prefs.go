// Package prefs stores the workstation's user-interface preferences, such as
// the display language, in the settings table of the workstation database
// (see app/store). Values are plain strings keyed by a dotted name.
package prefs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// KeyLanguage is the settings key of the UI language ("zh-CN" or "en").
const KeyLanguage = "ui.language"

// Store reads and writes preferences. It is safe for concurrent use because
// *sql.DB is.
type Store struct {
	db *sql.DB
}

// New returns a Store over a migrated workstation database.
func New(db *sql.DB) *Store {
	return &Store{db: db}
}

// Get returns the value stored under key and whether one was stored.
func (s *Store) Get(ctx context.Context, key string) (string, bool, error) {
	var value string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %q: %w", key, err)
	}
	return value, true, nil
}

// Set stores value under key, replacing any earlier value.
func (s *Store) Set(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET
			value = excluded.value,
			updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`, key, value)
	if err != nil {
		return fmt.Errorf("write setting %q: %w", key, err)
	}
	return nil
}
