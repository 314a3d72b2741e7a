package operators

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"permitdesk/app/audit"
)

type account struct {
	Operator
	hash     string
	failures int
}

func loadAccount(ctx context.Context, tx *sql.Tx, login string) (account, error) {
	var a account
	var locked sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT id, login, name, role, disabled, locked_until, password_hash,
		failed_attempts FROM operators WHERE login = ?`, login).Scan(&a.ID, &a.Login, &a.Name, &a.Role,
		&a.Disabled, &locked, &a.hash, &a.failures)
	if errors.Is(err, sql.ErrNoRows) {
		return account{}, ErrBadCredentials
	}
	if err != nil {
		return account{}, fmt.Errorf("read operator %q: %w", login, err)
	}
	a.LockedUntil = parseStamp(locked)
	return a, nil
}

// authenticate checks login and password inside tx and records a failure.
// It returns a non-nil result error for a rejected login while committing
// the failure count: the transaction error is for storage failures only.
func (s *Service) authenticate(ctx context.Context, tx *sql.Tx, login, password, purpose string) (
	op Operator, rejected error, err error) {
	a, err := loadAccount(ctx, tx, login)
	if errors.Is(err, ErrBadCredentials) {
		// An unknown login may be a password typed in the wrong field, so
		// the log and the audit trail keep only a masked form of it.
		return Operator{}, ErrBadCredentials, s.recordFailure(ctx, tx, MaskLogin(login), purpose, "unknown login")
	}
	if err != nil {
		return Operator{}, nil, err
	}
	now := s.now()
	switch {
	case a.Disabled:
		return Operator{}, fmt.Errorf("%w: %s; a supervisor can run permitdesk operator enable %s", ErrDisabled, login, login),
			s.recordFailure(ctx, tx, login, purpose, "disabled")
	case a.LockedUntil.After(now):
		return Operator{}, fmt.Errorf("%w: %s is locked until %s after %d failed logins; wait or ask a "+
			"supervisor to reset the password", ErrLocked, login, a.LockedUntil.Local().Format(time.TimeOnly),
			s.opt.MaxFailures), s.recordFailure(ctx, tx, login, purpose, "locked")
	}
	ok, err := CheckPassword(a.hash, password)
	if err != nil {
		return Operator{}, nil, fmt.Errorf("check password of %q: %w", login, err)
	}
	if !ok {
		return Operator{}, ErrBadCredentials, s.countFailure(ctx, tx, a, purpose)
	}
	_, err = tx.ExecContext(ctx, `UPDATE operators SET failed_attempts = 0, locked_until = NULL WHERE id = ?`, a.ID)
	return a.Operator, nil, err
}

func (s *Service) countFailure(ctx context.Context, tx *sql.Tx, a account, purpose string) error {
	failures := a.failures + 1
	var locked any
	reason := "wrong password"
	if failures >= s.opt.MaxFailures {
		locked, failures, reason = stamp(s.now().Add(s.opt.Lockout)), 0, "wrong password, account locked"
		s.log.Warn("account locked", "login", a.Login, "until", locked)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE operators SET failed_attempts = ?, locked_until = ? WHERE id = ?`,
		failures, locked, a.ID); err != nil {
		return fmt.Errorf("count failed login of %q: %w", a.Login, err)
	}
	return s.recordFailure(ctx, tx, a.Login, purpose, reason)
}

func (s *Service) recordFailure(ctx context.Context, tx *sql.Tx, login, purpose, reason string) error {
	s.log.Warn("login rejected", "login", login, "purpose", purpose, "reason", reason)
	return audit.Record(ctx, tx, audit.Entry{Actor: login, Action: audit.ActionLoginFailed,
		Subject: "operator:" + login, Detail: map[string]any{"purpose": purpose, "reason": reason}})
}

// Login checks the password and opens a session. It returns an error
// wrapping ErrBadCredentials, ErrLocked or ErrDisabled for a rejected login.
func (s *Service) Login(ctx context.Context, login, password string) (*Session, error) {
	var sess *Session
	var rejected error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		op, rej, err := s.authenticate(ctx, tx, login, password, "login")
		if err != nil || rej != nil {
			rejected = rej
			return err
		}
		now := s.now()
		sess = &Session{ID: newID(), Operator: op, StartedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, operator_id, started_at, last_seen_at)
			VALUES (?, ?, ?, ?)`, sess.ID, op.ID, stamp(now), stamp(now)); err != nil {
			return fmt.Errorf("open session for %q: %w", login, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: login, Action: audit.ActionLogin,
			Subject: "session:" + sess.ID[:8], Detail: map[string]any{"role": string(op.Role)}})
	})
	if err != nil {
		return nil, err
	}
	if rejected != nil {
		return nil, rejected
	}
	s.log.Info("operator logged in", "login", login, "role", sess.Operator.Role)
	return sess, nil
}

// Session returns the open session id and marks it active. A session idle
// longer than the session timeout is ended and ErrSessionExpired returned.
func (s *Service) Session(ctx context.Context, id string) (*Session, error) {
	var sess *Session
	var expired error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var started, seen string
		var ended sql.NullString
		var disabled bool
		sess = &Session{ID: id}
		op := &sess.Operator
		err := tx.QueryRowContext(ctx, `SELECT s.started_at, s.last_seen_at, s.ended_at, o.id, o.login, o.name,
			o.role, o.disabled FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.id = ?`, id).Scan(
			&started, &seen, &ended, &op.ID, &op.Login, &op.Name, &op.Role, &disabled)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (ended.Valid || disabled)) {
			return ErrNoSession
		}
		if err != nil {
			return fmt.Errorf("read session: %w", err)
		}
		sess.StartedAt = parseStamp(sql.NullString{String: started, Valid: true})
		now := s.now()
		if last := parseStamp(sql.NullString{String: seen, Valid: true}); now.Sub(last) > s.opt.SessionTimeout {
			expired = fmt.Errorf("%w: %s was idle for more than %s; log in again", ErrSessionExpired,
				op.Login, s.opt.SessionTimeout)
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, end_reason = 'timeout' WHERE id = ?`,
				stamp(now), id)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, stamp(now), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if expired != nil {
		return nil, expired
	}
	return sess, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sess *Session) error {
	if sess == nil {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, end_reason = 'logout'
			WHERE id = ? AND ended_at IS NULL`, stamp(s.now()), sess.ID); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: sess.Operator.Login, Action: audit.ActionLogout,
			Subject: "session:" + sess.ID[:8]})
	})
}

// Approval is a supervisor's sign-off for one action in one session.
type Approval struct {
	ID         string
	Action     string
	Supervisor Operator
}

// Approve authenticates a supervisor inside sess for one action, such as
// "void" or "reprint". The supervisor may be the session's own operator, who
// then enters the password again. The approval is used up by
// ConsumeApproval and expires after Options.ApprovalTTL.
func (s *Service) Approve(ctx context.Context, sess *Session, login, password, action string) (Approval, error) {
	if sess == nil {
		return Approval{}, ErrNoSession
	}
	var ap Approval
	var rejected error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		op, rej, err := s.authenticate(ctx, tx, login, password, "approve "+action)
		if err != nil || rej != nil {
			rejected = rej
			return err
		}
		if op.Role != Supervisor {
			rejected = fmt.Errorf("%w: %s is a %s; only a supervisor can approve a %s", ErrForbidden,
				login, op.Role, action)
			return nil
		}
		ap = Approval{ID: newID(), Action: action, Supervisor: op}
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (id, session_id, supervisor_id, action, created_at)
			VALUES (?, ?, ?, ?, ?)`, ap.ID, sess.ID, op.ID, action, stamp(s.now())); err != nil {
			return fmt.Errorf("record approval: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: login, Action: audit.ActionApproval,
			Subject: "session:" + sess.ID[:8], Detail: map[string]any{"action": action,
				"operator": sess.Operator.Login}})
	})
	if err != nil {
		return Approval{}, err
	}
	return ap, rejected
}

// ConsumeApproval marks approval id used for action inside tx and returns
// the approving supervisor. It fails with ErrNoApproval when the approval
// does not exist, belongs to another session or action, was used, or expired.
func (s *Service) ConsumeApproval(ctx context.Context, tx *sql.Tx, sess *Session, id, action string) (
	Operator, error) {
	if sess == nil {
		return Operator{}, ErrNoSession
	}
	var op Operator
	oldest := stamp(s.now().Add(-s.opt.ApprovalTTL))
	err := tx.QueryRowContext(ctx, `UPDATE approvals SET used_at = ?
		WHERE id = ? AND session_id = ? AND action = ? AND used_at IS NULL AND created_at >= ?
		RETURNING supervisor_id`, stamp(s.now()), id, sess.ID, action, oldest).Scan(&op.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return Operator{}, fmt.Errorf("%w: a supervisor must approve this %s in this session (approvals "+
			"last %s and are used once)", ErrNoApproval, action, s.opt.ApprovalTTL)
	}
	if err != nil {
		return Operator{}, fmt.Errorf("use approval: %w", err)
	}
	err = tx.QueryRowContext(ctx, `SELECT login, name, role FROM operators WHERE id = ?`, op.ID).Scan(
		&op.Login, &op.Name, &op.Role)
	return op, err
}

// MaskLogin returns a form of an unknown login that is safe to log: its
// first character, its length and the start of its SHA-256 digest, so that
// repeated attempts with the same text can still be matched in the log.
func MaskLogin(login string) string {
	if login == "" {
		return "(empty)"
	}
	first, _ := utf8.DecodeRuneInString(login)
	sum := sha256.Sum256([]byte(login))
	return fmt.Sprintf("%c…(%d chars, sha256 %x)", first, utf8.RuneCountInString(login), sum[:4])
}
