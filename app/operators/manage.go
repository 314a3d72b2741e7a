package operators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"permitdesk/app/audit"
)

// NewOperator is the input to Add.
type NewOperator struct {
	Login    string
	Name     string
	Role     Role
	Password string
}

// Add creates an operator. The session must be a supervisor's, except when
// the database has no operator yet: then by may be nil, so that the first
// supervisor can be created at installation.
func (s *Service) Add(ctx context.Context, by *Session, n NewOperator) (Operator, error) {
	n.Login = strings.TrimSpace(n.Login)
	if n.Login == "" || strings.ContainsAny(n.Login, " \t\n") {
		return Operator{}, fmt.Errorf("invalid login %q: use one word without spaces", n.Login)
	}
	if _, err := ParseRole(string(n.Role)); err != nil {
		return Operator{}, err
	}
	hash, err := s.hash(n.Password)
	if err != nil {
		return Operator{}, err
	}
	var op Operator
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.requireAdmin(ctx, tx, by, n.Role); err != nil {
			return err
		}
		if err := checkLoginFree(ctx, tx, n.Login); err != nil {
			return err
		}
		now := stamp(s.now())
		res, err := tx.ExecContext(ctx, `INSERT INTO operators (login, name, role, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (login) DO NOTHING`, n.Login, n.Name, n.Role, hash, now, now)
		if err != nil {
			return fmt.Errorf("add operator %q: %w", n.Login, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("operator %q already exists: choose another login or use operator passwd", n.Login)
		}
		id, _ := res.LastInsertId()
		op = Operator{ID: id, Login: n.Login, Name: n.Name, Role: n.Role}
		return audit.Record(ctx, tx, audit.Entry{Actor: Actor(by), Action: audit.ActionOperator,
			Subject: "operator:" + n.Login, Detail: map[string]any{"change": "add", "role": string(n.Role)}})
	})
	if err == nil {
		s.log.Info("operator added", "login", n.Login, "role", n.Role, "by", Actor(by))
	}
	return op, err
}

// Empty reports whether the station has no operator yet.
func (s *Service) Empty(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM operators`).Scan(&n); err != nil {
		return false, fmt.Errorf("count operators: %w", err)
	}
	return n == 0, nil
}

// requireAdmin allows a supervisor, or anyone while no operator exists. The
// first operator must be a supervisor, because only a supervisor can add
// the others.
func (s *Service) requireAdmin(ctx context.Context, tx *sql.Tx, by *Session, role Role) error {
	if by != nil {
		return Require(by, Supervisor)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM operators`).Scan(&n); err != nil {
		return fmt.Errorf("count operators: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: log in as a supervisor to manage operators", ErrNoSession)
	}
	if role != Supervisor {
		return fmt.Errorf("%w: the first operator of a new database must be a supervisor, not a %s, "+
			"because only a supervisor can add operators; add it with --role supervisor", ErrForbidden, role)
	}
	return nil
}

// checkLoginFree rejects a login that differs from an existing one only in
// letter case, so that c1 and C1 cannot both exist.
func checkLoginFree(ctx context.Context, tx *sql.Tx, login string) error {
	var existing string
	err := tx.QueryRowContext(ctx, `SELECT login FROM operators WHERE lower(login) = lower(?)`,
		login).Scan(&existing)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up login %q: %w", login, err)
	}
	return fmt.Errorf("operator %q already exists (logins ignore letter case): choose another login "+
		"or use operator passwd %s", existing, existing)
}

func (s *Service) hash(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLen {
		return "", fmt.Errorf("%w: use at least %d characters", ErrWeakPassword, MinPasswordLen)
	}
	return HashPassword(password, s.opt.Hash)
}

// SetPassword sets an operator's password and clears a lockout. A supervisor
// may set anyone's password; other operators only their own.
func (s *Service) SetPassword(ctx context.Context, by *Session, login, password string) error {
	if by == nil {
		return ErrNoSession
	}
	if by.Operator.Login != login {
		if err := Require(by, Supervisor); err != nil {
			return err
		}
	}
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE operators SET password_hash = ?, failed_attempts = 0,
			locked_until = NULL, updated_at = ? WHERE login = ?`, hash, stamp(s.now()), login)
		if err != nil {
			return fmt.Errorf("set password of %q: %w", login, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fmt.Errorf("%w: %q", ErrNotFound, login)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: Actor(by), Action: audit.ActionOperator,
			Subject: "operator:" + login, Detail: map[string]any{"change": "password"}})
	})
}

// Disable stops an operator from logging in and ends their open sessions.
// Only a supervisor may do it, and not to their own account.
func (s *Service) Disable(ctx context.Context, by *Session, login string) error {
	if err := Require(by, Supervisor); err != nil {
		return err
	}
	if by.Operator.Login == login {
		return fmt.Errorf("%w: %s cannot disable their own account; ask another supervisor", ErrForbidden, login)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := stamp(s.now())
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE operators SET disabled = 1, updated_at = ? WHERE login = ?
			RETURNING id`, now, login).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %q", ErrNotFound, login)
		}
		if err != nil {
			return fmt.Errorf("disable %q: %w", login, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, end_reason = 'disabled'
			WHERE operator_id = ? AND ended_at IS NULL`, now, id); err != nil {
			return fmt.Errorf("end sessions of %q: %w", login, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: Actor(by), Action: audit.ActionOperator,
			Subject: "operator:" + login, Detail: map[string]any{"change": "disable"}})
	})
}

// Enable lets a disabled operator log in again and clears their lockout.
// Only a supervisor may do it.
func (s *Service) Enable(ctx context.Context, by *Session, login string) error {
	if err := Require(by, Supervisor); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var wasDisabled bool
		err := tx.QueryRowContext(ctx, `SELECT disabled FROM operators WHERE login = ?`, login).Scan(&wasDisabled)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %q", ErrNotFound, login)
		}
		if err != nil {
			return fmt.Errorf("enable %q: %w", login, err)
		}
		if !wasDisabled {
			return fmt.Errorf("operator %q is not disabled: nothing to enable", login)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE operators SET disabled = 0, failed_attempts = 0,
			locked_until = NULL, updated_at = ? WHERE login = ?`, stamp(s.now()), login); err != nil {
			return fmt.Errorf("enable %q: %w", login, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: Actor(by), Action: audit.ActionOperator,
			Subject: "operator:" + login, Detail: map[string]any{"change": "enable"}})
	})
}

// List returns every operator, for a supervisor.
func (s *Service) List(ctx context.Context, by *Session) ([]Operator, error) {
	if err := Require(by, Supervisor); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, login, name, role, disabled, locked_until
		FROM operators ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		var op Operator
		var locked sql.NullString
		if err := rows.Scan(&op.ID, &op.Login, &op.Name, &op.Role, &op.Disabled, &locked); err != nil {
			return nil, fmt.Errorf("list operators: %w", err)
		}
		if until := parseStamp(locked); until.After(s.now()) {
			op.LockedUntil = until
		}
		out = append(out, op)
	}
	return out, rows.Err()
}
