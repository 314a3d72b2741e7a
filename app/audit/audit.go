// Package audit keeps the workstation's audit log: who did what, when, to
// which subject. Logins, issuance steps, voids, reprints, rewrites, console
// commands and configuration changes are recorded with Record inside the same
// transaction as the change they describe.
//
// The log is hash-chained. Each row's hash is SHA-256 over the previous row's
// hash and a canonical encoding of the row (see canonical), and a one-row head
// table holds the newest sequence number and hash. Verify recomputes the chain
// and names the first row that does not match, so a row edited, removed or
// inserted by hand is detected.
//
// Limits: the chain proves the log was not changed without recomputing every
// later hash. Someone who can write the database file and understands the scheme can
// rewrite the whole chain; exporting the log off the workstation regularly
// is the defence against that.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Actions recorded by the workstation. Other packages may record their own
// dotted names, such as "rewrite.address".
const (
	ActionLogin         = "login"
	ActionLoginFailed   = "login.failed"
	ActionLogout        = "logout"
	ActionApproval      = "approval"
	ActionOperator      = "operator.change"
	ActionIssuanceStep  = "issuance.step"
	ActionVoid          = "void"
	ActionReprint       = "reprint"
	ActionRewrite       = "rewrite"
	ActionConsole       = "console.command"
	ActionConfigChange  = "config.change"
	ActionStockMovement = "stock.movement"
)

// System is the actor for entries made by the workstation itself.
const System = "system"

// TimeFormat is the layout of stored timestamps: UTC with fixed-width nanoseconds,
// so that text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// Entry is one audit record before it is chained.
type Entry struct {
	// At is when the action happened; zero means now.
	At time.Time
	// Actor is the operator's login, or System.
	Actor string
	// Action is one of the Action constants or a dotted name.
	Action string
	// Subject names what the action was on, such as "job:12" or "card:8".
	Subject string
	// Detail holds further facts. It is stored as JSON with sorted keys.
	// Never put an ID number in full, a key or a password here.
	Detail map[string]any
}

// Row is a stored audit record.
type Row struct {
	Seq      int64           `json:"seq"`
	At       string          `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Subject  string          `json:"subject"`
	Detail   json.RawMessage `json:"detail"`
	PrevHash string          `json:"prevHash"`
	Hash     string          `json:"hash"`
}

// genesis is the previous hash of the first row.
var genesis = strings.Repeat("0", 64)

// ErrInvalidEntry means an entry lacks an actor or an action.
var ErrInvalidEntry = errors.New("invalid audit entry")

// Record appends e to the log inside tx. The caller's transaction must be
// IMMEDIATE (store.InTx), so no other writer can chain onto the same head.
func Record(ctx context.Context, tx *sql.Tx, e Entry) error {
	row, err := newRow(e)
	if err != nil {
		return err
	}
	var headSeq int64
	headHash := genesis
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read audit head: %w", err)
	}
	row.Seq, row.PrevHash = headSeq+1, headHash
	row.Hash = chainHash(row)

	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		row.Seq, row.At, row.Actor, row.Action, row.Subject, string(row.Detail), row.PrevHash, row.Hash); err != nil {
		return fmt.Errorf("append audit row %d: %w", row.Seq, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, row.Seq, row.Hash); err != nil {
		return fmt.Errorf("move audit head to %d: %w", row.Seq, err)
	}
	return nil
}

func newRow(e Entry) (Row, error) {
	if strings.TrimSpace(e.Actor) == "" || strings.TrimSpace(e.Action) == "" {
		return Row{}, fmt.Errorf("%w: actor %q and action %q must not be empty", ErrInvalidEntry, e.Actor, e.Action)
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		// encoding/json sorts map keys, which makes the text canonical.
		if detail, err = json.Marshal(e.Detail); err != nil {
			return Row{}, fmt.Errorf("%w: detail of %s: %v", ErrInvalidEntry, e.Action, err)
		}
	}
	return Row{At: at.UTC().Format(TimeFormat), Actor: e.Actor, Action: e.Action,
		Subject: e.Subject, Detail: detail}, nil
}

// canonical encodes the hashed fields of a row: the sequence number and each
// text field, every one prefixed with its length as a uvarint, so no two
// different rows share an encoding.
func canonical(r Row) []byte {
	var b []byte
	for _, field := range []string{
		strconv.FormatInt(r.Seq, 10), r.At, r.Actor, r.Action, r.Subject, string(r.Detail),
	} {
		b = binary.AppendUvarint(b, uint64(len(field)))
		b = append(b, field...)
	}
	return b
}

// chainHash returns hex(SHA-256(prev_hash || canonical(row))).
func chainHash(r Row) string {
	h := sha256.New()
	h.Write([]byte(r.PrevHash))
	h.Write(canonical(r))
	return hex.EncodeToString(h.Sum(nil))
}
