// Package operators manages the people who use the workstation: their roles,
// argon2id password hashes (RFC 9106, stored as PHC strings), lockout after
// repeated failed logins, idle session timeout, and supervisor approvals for
// dual control. Services call Require and ConsumeApproval themselves, so a
// role is enforced whatever front end calls them.
//
// Roles: a clerk issues cards, a technician rewrites addresses and runs
// diagnostics, a supervisor manages operators and stock, reads the audit log
// and approves voids and reprints. Every login, failed login, approval and
// operator change is written to the audit log.
package operators

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/store"
)

// Role is what an operator may do.
type Role string

// Roles.
const (
	Clerk      Role = "clerk"
	Technician Role = "technician"
	Supervisor Role = "supervisor"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r != Clerk && r != Technician && r != Supervisor {
		return "", fmt.Errorf("invalid role %q: use clerk, technician or supervisor", s)
	}
	return r, nil
}

// Errors callers branch on.
var (
	ErrBadCredentials = errors.New("wrong login or password")
	ErrLocked         = errors.New("account locked")
	ErrDisabled       = errors.New("account disabled")
	ErrNoSession      = errors.New("not logged in")
	ErrSessionExpired = errors.New("session expired")
	ErrForbidden      = errors.New("not allowed for this role")
	ErrNoApproval     = errors.New("supervisor approval missing or already used")
	ErrNotFound       = errors.New("operator not found")
	ErrWeakPassword   = errors.New("password too short")
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

// Operator is a person who can log in.
type Operator struct {
	ID          int64     `json:"id"`
	Login       string    `json:"login"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	Disabled    bool      `json:"disabled"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
}

// Session is a logged-in operator.
type Session struct {
	ID        string
	Operator  Operator
	StartedAt time.Time
}

// Options configure a Service.
type Options struct {
	// SessionTimeout ends a session idle for this long; 0 means 15 minutes.
	SessionTimeout time.Duration
	// MaxFailures is the number of failed logins in a row that locks an
	// account; 0 means 5.
	MaxFailures int
	// Lockout is how long an account stays locked; 0 means 15 minutes.
	Lockout time.Duration
	// ApprovalTTL is how long a supervisor approval stays usable; 0 means
	// 2 minutes.
	ApprovalTTL time.Duration
	// Hash sets the argon2id cost; the zero value means the defaults.
	Hash HashParams
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives service logs; nil discards them.
	Logger *slog.Logger
}

// Service manages operators and sessions in the workstation database.
type Service struct {
	db  *sql.DB
	opt Options
	log *slog.Logger
}

// New returns a Service on db.
func New(db *sql.DB, o Options) *Service {
	if o.SessionTimeout == 0 {
		o.SessionTimeout = 15 * time.Minute
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 5
	}
	if o.Lockout == 0 {
		o.Lockout = 15 * time.Minute
	}
	if o.ApprovalTTL == 0 {
		o.ApprovalTTL = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, opt: o, log: log.With("component", "operators")}
}

// Require returns ErrForbidden wrapped with the names involved unless the
// session's operator has one of roles.
func Require(s *Session, roles ...Role) error {
	if s == nil {
		return ErrNoSession
	}
	if slices.Contains(roles, s.Operator.Role) {
		return nil
	}
	return fmt.Errorf("%w: %s is a %s; this needs a %s", ErrForbidden, s.Operator.Login, s.Operator.Role,
		joinRoles(roles))
}

func joinRoles(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, " or ")
}

// Actor returns the login to record in the audit log for s.
func Actor(s *Session) string {
	if s == nil {
		return audit.System
	}
	return s.Operator.Login
}

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

func stamp(t time.Time) string { return t.UTC().Format(audit.TimeFormat) }

func parseStamp(v sql.NullString) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(audit.TimeFormat, v.String)
	return t
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return store.InTx(ctx, s.db, fn)
}
