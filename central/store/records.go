package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"permitdesk/central/api"
)

// Decision is the outcome of one pushed record.
type decision struct {
	status api.RecordStatus
	reason string
	seq    int64
}

// PushRecords decides each record of a station's batch in one transaction
// and returns one result per record in order. Records for which skip
// returns true get the result "retry" without being decided, which is how
// the server injects partial batch failures. A returned error means nothing
// was stored.
func (s *Store) PushRecords(ctx context.Context, station string, recs []api.Record, skip func(int) bool) ([]api.RecordResult, error) {
	results := make([]api.RecordResult, len(recs))
	err := s.inTx(ctx, func(sqlTx *sql.Tx) error {
		tx := newPreparedTx(sqlTx)
		defer tx.Close()
		now := s.now()
		for i, r := range recs {
			d := decision{status: api.StatusRetry, reason: "server fault injected: send the record again"}
			if skip == nil || !skip(i) {
				var err error
				if d, err = s.decide(ctx, tx, station, r, now); err != nil {
					return fmt.Errorf("record %q: %w", r.IdempotencyKey, err)
				}
			}
			results[i] = api.RecordResult{IdempotencyKey: r.IdempotencyKey, Status: d.status, Reason: d.reason, Seq: d.seq}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (s *Store) decide(ctx context.Context, tx querier, station string, r api.Record, now time.Time) (decision, error) {
	if reason := validate(r); reason != "" {
		return decision{status: api.StatusRejected, reason: reason}, nil
	}
	digest := recordDigest(station, r)
	var seq int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT seq, digest FROM records WHERE idempotency_key = ?`, r.IdempotencyKey).Scan(&seq, &prev)
	switch {
	case err == nil && prev == digest:
		return decision{status: api.StatusDuplicate, seq: seq}, nil
	case err == nil:
		return decision{status: api.StatusConflict, reason: fmt.Sprintf(
			"idempotency key %q was already used for a different record (sequence %d): give each record its own key",
			r.IdempotencyKey, seq)}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return decision{}, err
	}
	d, err := applyRecord(ctx, tx, station, r)
	if err != nil || d.status != api.StatusAccepted {
		return d, err
	}
	d.seq, err = insertRecord(ctx, tx, station, r, digest, now)
	return d, err
}

func validate(r api.Record) string {
	switch {
	case len(r.IdempotencyKey) < 8 || len(r.IdempotencyKey) > 128:
		return fmt.Sprintf("idempotency key %q must have 8 to 128 characters", r.IdempotencyKey)
	case r.ApplicationId == "":
		return "applicationId is missing"
	case r.PermitNumber == "":
		return "permitNumber is missing"
	case r.CardSerial == "":
		return "cardSerial is missing"
	case r.StationTime.IsZero():
		return "stationTime is missing"
	}
	switch r.Kind {
	case api.KindIssued, api.KindSpoiled:
	case api.KindVoided:
		if r.Reason == "" {
			return "a voided record needs a reason"
		}
	case api.KindAddressChanged:
		if r.Address == nil || r.Address.HouseCode == "" {
			return "an address_changed record needs the new address with its house code"
		}
	default:
		return fmt.Sprintf("record kind %q is unknown: use issued, spoiled, voided or address_changed", r.Kind)
	}
	return ""
}

// recordDigest hashes the content of a record. The clock skew is left out
// because a station measures it again between retries.
func recordDigest(station string, r api.Record) string {
	r.ClockSkewMs = 0
	r.StationTime = r.StationTime.UTC()
	b, _ := json.Marshal(struct {
		Station string
		Record  api.Record
	}{station, r})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// applyRecord checks a record against the application and card state and
// changes that state when the record is accepted.
func applyRecord(ctx context.Context, tx querier, station string, r api.Record) (decision, error) {
	var appStation, status string
	var permit sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT station_id, status, permit_number FROM applications WHERE id = ?`,
		r.ApplicationId).Scan(&appStation, &status, &permit)
	if errors.Is(err, sql.ErrNoRows) {
		return reject("application %q does not exist", r.ApplicationId), nil
	}
	if err != nil {
		return decision{}, err
	}
	switch {
	case appStation != station:
		return reject("application %q belongs to station %s, not %s", r.ApplicationId, appStation, station), nil
	case status == "pending":
		return reject("application %q is not approved yet", r.ApplicationId), nil
	case permit.String != r.PermitNumber:
		return reject("application %q carries permit %s, not %s", r.ApplicationId, permit.String, r.PermitNumber), nil
	}
	switch r.Kind {
	case api.KindIssued:
		return applyIssued(ctx, tx, r, status)
	case api.KindSpoiled:
		return applySpoiled(ctx, tx, r)
	case api.KindVoided:
		return applyVoided(ctx, tx, r)
	default:
		return applyAddress(ctx, tx, r)
	}
}

func reject(format string, args ...any) decision {
	return decision{status: api.StatusRejected, reason: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) decision {
	return decision{status: api.StatusConflict, reason: fmt.Sprintf(format, args...)}
}

var accepted = decision{status: api.StatusAccepted}

type card struct {
	permit, state string
	found         bool
}

func lookupCard(ctx context.Context, tx querier, serial string) (card, error) {
	var c card
	err := tx.QueryRowContext(ctx, `SELECT permit_number, state FROM cards WHERE card_serial = ?`, serial).Scan(&c.permit, &c.state)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	c.found = err == nil
	return c, err
}

func applyIssued(ctx context.Context, tx querier, r api.Record, status string) (decision, error) {
	if status == "cancelled" || status == "revoked" {
		return conflict("application %s was %s before this card was reported: void card %s", r.ApplicationId, status, r.CardSerial), nil
	}
	c, err := lookupCard(ctx, tx, r.CardSerial)
	if err != nil {
		return decision{}, err
	}
	if c.found {
		return conflict("card %s already carries permit %s (%s)", r.CardSerial, c.permit, c.state), nil
	}
	var other string
	err = tx.QueryRowContext(ctx, `SELECT card_serial FROM cards WHERE permit_number = ? AND state = 'issued'`,
		r.PermitNumber).Scan(&other)
	if err == nil {
		return conflict("permit %s is already on valid card %s: void that card before issuing another", r.PermitNumber, other), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return decision{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cards (card_serial, permit_number, application_id, state, issued_seq, house_code)
		VALUES (?, ?, ?, 'issued', 0, '')`, r.CardSerial, r.PermitNumber, r.ApplicationId); err != nil {
		return decision{}, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE applications SET status = 'issued' WHERE id = ?`, r.ApplicationId)
	return accepted, err
}

func applySpoiled(ctx context.Context, tx querier, r api.Record) (decision, error) {
	c, err := lookupCard(ctx, tx, r.CardSerial)
	if err != nil {
		return decision{}, err
	}
	if c.found {
		return conflict("card %s was reported issued with permit %s, so it cannot be spoiled: void it instead", r.CardSerial, c.permit), nil
	}
	return accepted, nil
}

func applyVoided(ctx context.Context, tx querier, r api.Record) (decision, error) {
	c, err := lookupCard(ctx, tx, r.CardSerial)
	if err != nil {
		return decision{}, err
	}
	switch {
	case !c.found:
		return conflict("card %s was never reported issued, so it cannot be voided: push its issued record first", r.CardSerial), nil
	case c.permit != r.PermitNumber:
		return reject("card %s carries permit %s, not %s", r.CardSerial, c.permit, r.PermitNumber), nil
	case c.state == "voided":
		return conflict("card %s is already voided", r.CardSerial), nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE cards SET state = 'voided' WHERE card_serial = ?`, r.CardSerial)
	return accepted, err
}

func applyAddress(ctx context.Context, tx querier, r api.Record) (decision, error) {
	c, err := lookupCard(ctx, tx, r.CardSerial)
	if err != nil {
		return decision{}, err
	}
	switch {
	case !c.found || c.permit != r.PermitNumber:
		return conflict("card %s is not reported issued with permit %s", r.CardSerial, r.PermitNumber), nil
	case c.state != "issued":
		return conflict("card %s is %s: rewrite the address on the valid card", r.CardSerial, c.state), nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM house_codes WHERE code = ? AND status = 'active'`,
		r.Address.HouseCode).Scan(&n); err != nil {
		return decision{}, err
	}
	if n == 0 {
		return conflict("house code %s is not an active entry of the house register", r.Address.HouseCode), nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE cards SET house_code = ? WHERE card_serial = ?`, r.Address.HouseCode, r.CardSerial)
	return accepted, err
}

func insertRecord(ctx context.Context, tx querier, station string, r api.Record, digest string, now time.Time) (int64, error) {
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return 0, err
	}
	var addr any
	if r.Address != nil {
		b, _ := json.Marshal(r.Address)
		addr = string(b)
	}
	var skew any
	if r.ClockSkewMs != 0 {
		skew = r.ClockSkewMs
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO records (seq, idempotency_key, digest, station_id, kind,
		application_id, permit_number, card_serial, station_time, clock_skew_ms, reason, address, received_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, seq, r.IdempotencyKey, digest, station, string(r.Kind),
		r.ApplicationId, r.PermitNumber, r.CardSerial, formatTime(r.StationTime), skew, r.Reason, addr, formatTime(now))
	if err != nil {
		return 0, err
	}
	if r.Kind == api.KindIssued {
		_, err = tx.ExecContext(ctx, `UPDATE cards SET issued_seq = ? WHERE card_serial = ?`, seq, r.CardSerial)
	}
	return seq, err
}

// StoredRecord is a record as the central system keeps it.
type StoredRecord struct {
	Seq            int64
	IdempotencyKey string
	StationID      string
	Kind           string
	ApplicationID  string
	PermitNumber   string
	CardSerial     string
	StationTime    time.Time
	ClockSkewMs    int64
	ReceivedAt     time.Time
}

// Records returns the stored records of a station in sequence order.
func (s *Store) Records(ctx context.Context, station string) ([]StoredRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, idempotency_key, station_id, kind, application_id,
		permit_number, card_serial, station_time, coalesce(clock_skew_ms, 0), received_at
		FROM records WHERE station_id = ? ORDER BY seq`, station)
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	var out []StoredRecord
	for rows.Next() {
		var r StoredRecord
		var st, recv string
		if err := rows.Scan(&r.Seq, &r.IdempotencyKey, &r.StationID, &r.Kind, &r.ApplicationID,
			&r.PermitNumber, &r.CardSerial, &st, &r.ClockSkewMs, &recv); err != nil {
			return nil, err
		}
		r.StationTime, r.ReceivedAt = parseTime(st), parseTime(recv)
		out = append(out, r)
	}
	return out, rows.Err()
}
