package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/store"
)

// Lot is a box of blank cards and its counts.
type Lot struct {
	ID         int64  `json:"id"`
	Number     string `json:"number"`
	Received   int64  `json:"received"`
	ReceivedAt string `json:"receivedAt"`
	// Adjusted is the sum of counted corrections.
	Adjusted int64 `json:"adjusted"`
	// Taken is the number of cards fed into the printer from this lot.
	Taken int64 `json:"taken"`
	// OnHand is Received + Adjusted - Taken.
	OnHand int64 `json:"onHand"`
}

// MaxLotSize is the largest number of cards one lot may hold, on receipt or
// after an adjustment. Boxes of blank cards usually hold a few hundred, so a
// larger count is taken for a typing error.
const MaxLotSize = 10000

// MaxLotNumberLen is the maximum length of a lot number in characters.
const MaxLotNumberLen = 40

// Errors ReceiveLot returns for input it rejects.
var (
	ErrInvalidLotCount  = errors.New("invalid lot count")
	ErrMissingLotNumber = errors.New("missing lot number")
	ErrInvalidLotNumber = errors.New("invalid lot number")
	ErrDuplicateLot     = errors.New("duplicate lot number")
)

// ReceiveLot records a box of count blank cards, 1 to MaxLotSize, under a
// new lot number that CheckLotNumber accepts. Supervisor only.
func (s *Service) ReceiveLot(ctx context.Context, sess *operators.Session, number string, count int64) (Lot, error) {
	if err := operators.Require(sess, operators.Supervisor); err != nil {
		return Lot{}, err
	}
	number = strings.TrimSpace(number)
	if err := CheckLotNumber(number); err != nil {
		return Lot{}, err
	}
	if count < 1 || count > MaxLotSize {
		return Lot{}, fmt.Errorf("%w %d for lot %q: give the number of cards in the box, from 1 to %d",
			ErrInvalidLotCount, count, number, MaxLotSize)
	}
	var id int64
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		now := stamp(s.now())
		err := tx.QueryRowContext(ctx, `INSERT INTO stock_lots (lot_number, received, received_at, received_by)
			VALUES (?, ?, ?, ?) RETURNING id`, number, count, now, sess.Operator.ID).Scan(&id)
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("%w %q: that lot was already received, so give the new box its own lot number "+
				"or adjust the count of the existing lot", ErrDuplicateLot, number)
		}
		if err != nil {
			return fmt.Errorf("receive lot %q: %w", number, err)
		}
		if err := addMovement(ctx, tx, id, "receive", count, 0, "", sess.Operator.ID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: sess.Operator.Login, Action: audit.ActionStockMovement,
			Subject: "lot:" + number, Detail: map[string]any{"kind": "receive", "quantity": count}})
	})
	if err != nil {
		return Lot{}, err
	}
	return s.lot(ctx, id)
}

// CheckLotNumber rejects a lot number that is blank, longer than
// MaxLotNumberLen characters, or contains characters other than ASCII
// letters, digits, '-', '_' and '.'. The caller trims spaces first.
func CheckLotNumber(number string) error {
	if number == "" {
		return fmt.Errorf("%w: give the lot number printed on the box", ErrMissingLotNumber)
	}
	if n := utf8.RuneCountInString(number); n > MaxLotNumberLen {
		return fmt.Errorf("%w %q: it has %d characters but at most %d are allowed, so give the lot number printed on the box",
			ErrInvalidLotNumber, truncate(number, MaxLotNumberLen), n, MaxLotNumberLen)
	}
	// Every rune before the first rejected one is ASCII, so the byte index i
	// is also the character index.
	for i, r := range number {
		if !isLotNumberRune(r) {
			return fmt.Errorf("%w %q: character %q at position %d is not allowed, so use only letters A-Z and a-z, "+
				"digits, '-', '_' and '.'", ErrInvalidLotNumber, number, r, i+1)
		}
	}
	return nil
}

func isLotNumberRune(r rune) bool {
	switch {
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return true
	case r == '-', r == '_', r == '.':
		return true
	}
	return false
}

// truncate shortens s to limit runes and marks the cut with "...".
func truncate(s string, limit int) string {
	runes := []rune(s)
	if len(runes) <= limit {
		return s
	}
	return string(runes[:limit]) + "..."
}

// Adjust corrects a lot's count after a physical count. The count on hand
// after the change must stay within 0..MaxLotSize. Supervisor only.
func (s *Service) Adjust(ctx context.Context, sess *operators.Session, number string, delta int64,
	reason string) (Lot, error) {
	if err := operators.Require(sess, operators.Supervisor); err != nil {
		return Lot{}, err
	}
	if delta == 0 || strings.TrimSpace(reason) == "" {
		return Lot{}, errors.New("an adjustment needs a non-zero quantity and a reason")
	}
	var id int64
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM stock_lots WHERE lot_number = ?`, number).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("lot %q not found: list lots with permitdesk stock list", number)
		}
		if err != nil {
			return fmt.Errorf("look up lot %q: %w", number, err)
		}
		if err := checkAdjustment(ctx, tx, id, number, delta); err != nil {
			return err
		}
		now := stamp(s.now())
		if err := addMovement(ctx, tx, id, "adjust", delta, 0, reason, sess.Operator.ID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Actor: sess.Operator.Login, Action: audit.ActionStockMovement,
			Subject: "lot:" + number, Detail: map[string]any{"kind": "adjust", "quantity": delta, "reason": reason}})
	})
	if err != nil {
		return Lot{}, err
	}
	return s.lot(ctx, id)
}

// checkAdjustment rejects a delta that would leave the lot below zero or
// above MaxLotSize cards on hand.
func checkAdjustment(ctx context.Context, tx *sql.Tx, lotID int64, number string, delta int64) error {
	var onHand int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM stock_movements WHERE lot_id = ?`,
		lotID).Scan(&onHand); err != nil {
		return fmt.Errorf("count cards on hand in lot %q: %w", number, err)
	}
	if delta < -onHand {
		return fmt.Errorf("invalid adjustment of lot %q: %d cards on hand, delta %d would leave %d; "+
			"remove at most %d", number, onHand, delta, onHand+delta, onHand)
	}
	if delta > MaxLotSize-onHand {
		return fmt.Errorf("invalid adjustment of lot %q: %d cards on hand, delta %d would leave %d; "+
			"a lot holds at most %d cards", number, onHand, delta, onHand+delta, MaxLotSize)
	}
	return nil
}

func addMovement(ctx context.Context, tx *sql.Tx, lotID int64, kind string, qty, cardID int64, reason string,
	operatorID int64, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO stock_movements (lot_id, kind, quantity, card_id, reason,
		operator_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)`, lotID, kind, qty, nullInt(cardID), reason,
		nullInt(operatorID), now)
	if err != nil {
		return fmt.Errorf("record %s of %d cards in lot id %d: %w", kind, qty, lotID, err)
	}
	return nil
}

const lotQuery = `SELECT l.id, l.lot_number, l.received, l.received_at,
	COALESCE(SUM(CASE WHEN m.kind = 'adjust' THEN m.quantity END), 0),
	COALESCE(-SUM(CASE WHEN m.kind = 'take' THEN m.quantity END), 0),
	COALESCE(SUM(m.quantity), 0)
	FROM stock_lots l LEFT JOIN stock_movements m ON m.lot_id = l.id`

func scanLot(row interface{ Scan(...any) error }) (Lot, error) {
	var l Lot
	err := row.Scan(&l.ID, &l.Number, &l.Received, &l.ReceivedAt, &l.Adjusted, &l.Taken, &l.OnHand)
	return l, err
}

func (s *Service) lot(ctx context.Context, id int64) (Lot, error) {
	l, err := scanLot(s.db.QueryRowContext(ctx, lotQuery+` WHERE l.id = ? GROUP BY l.id`, id))
	if err != nil {
		return Lot{}, fmt.Errorf("read lot %d: %w", id, err)
	}
	return l, nil
}

// Lots returns every lot with its counts, oldest first.
func (s *Service) Lots(ctx context.Context) ([]Lot, error) {
	rows, err := s.db.QueryContext(ctx, lotQuery+` GROUP BY l.id ORDER BY l.id`)
	if err != nil {
		return nil, fmt.Errorf("list lots: %w", err)
	}
	defer rows.Close()
	var out []Lot
	for rows.Next() {
		l, err := scanLot(rows)
		if err != nil {
			return nil, fmt.Errorf("list lots: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// takeCard creates the job's next card from the oldest lot with cards on
// hand and records the stock movement.
func (s *Service) takeCard(ctx context.Context, tx *sql.Tx, j *Job) error {
	var lotID int64
	err := tx.QueryRowContext(ctx, `SELECT l.id FROM stock_lots l JOIN stock_movements m ON m.lot_id = l.id
		GROUP BY l.id HAVING SUM(m.quantity) > 0 ORDER BY l.id LIMIT 1`).Scan(&lotID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: a supervisor must record a new lot with permitdesk stock receive", ErrOutOfStock)
	}
	if err != nil {
		return fmt.Errorf("find a lot with cards: %w", err)
	}
	now := stamp(s.now())
	err = tx.QueryRowContext(ctx, `INSERT INTO cards (job_id, lot_id, permit_number, state, created_at, updated_at)
		VALUES (?, ?, ?, 'fed', ?, ?) RETURNING id`, j.ID, lotID, j.PermitNumber, now, now).Scan(&j.CardID)
	if err != nil {
		return fmt.Errorf("take a card for job %d (permit %q): %w", j.ID, j.PermitNumber, err)
	}
	return addMovement(ctx, tx, lotID, "take", -1, j.CardID, "", 0, now)
}

// returnCard undoes takeCard for a card the printer never moved.
func returnCard(ctx context.Context, tx *sql.Tx, j *Job) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM stock_movements WHERE card_id = ?`, j.CardID); err != nil {
		return fmt.Errorf("return card %d to stock: %w", j.CardID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM cards WHERE id = ? AND state = 'fed'`, j.CardID); err != nil {
		return fmt.Errorf("return card %d to stock: %w", j.CardID, err)
	}
	j.CardID, j.Card = 0, nil
	return nil
}

// Reconciliation compares stock movements with card records.
type Reconciliation struct {
	Received int64 `json:"received"`
	Adjusted int64 `json:"adjusted"`
	Taken    int64 `json:"taken"`
	OnHand   int64 `json:"onHand"`
	// Cards counts card records by state.
	Cards map[string]int64 `json:"cards"`
	// Problems lists every mismatch; empty means the stock reconciles.
	Problems []string `json:"problems"`
}

// CardStates formats Cards as "issued 3, spoiled 1" in state order, or
// "none" when there is no card record.
func (r Reconciliation) CardStates() string {
	if len(r.Cards) == 0 {
		return "none"
	}
	states := slices.Sorted(maps.Keys(r.Cards))
	parts := make([]string, len(states))
	for i, st := range states {
		parts[i] = fmt.Sprintf("%s %d", st, r.Cards[st])
	}
	return strings.Join(parts, ", ")
}

// Reconcile checks that every card taken from stock has exactly one card
// record and that every card record is issued, spoiled, voided or still in
// a job that is not finished.
func (s *Service) Reconcile(ctx context.Context) (Reconciliation, error) {
	r := Reconciliation{Cards: map[string]int64{}, Problems: []string{}}
	lots, err := s.Lots(ctx)
	if err != nil {
		return r, err
	}
	for _, l := range lots {
		r.Received, r.Adjusted, r.Taken, r.OnHand = r.Received+l.Received, r.Adjusted+l.Adjusted,
			r.Taken+l.Taken, r.OnHand+l.OnHand
		if l.OnHand < 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("lot %s: %d cards on hand", l.Number, l.OnHand))
		}
	}
	if err := s.countCards(ctx, &r); err != nil {
		return r, err
	}
	return r, s.findStrays(ctx, &r)
}

func (s *Service) countCards(ctx context.Context, r *Reconciliation) error {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM cards GROUP BY state`)
	if err != nil {
		return fmt.Errorf("count cards: %w", err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		r.Cards[st], total = n, total+n
	}
	if total != r.Taken {
		r.Problems = append(r.Problems, fmt.Sprintf("%d cards taken from stock but %d card records", r.Taken, total))
	}
	return rows.Err()
}

// findStrays lists cards that are neither final nor the current card of an
// unfinished job.
func (s *Service) findStrays(ctx context.Context, r *Reconciliation) error {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.state, j.id, j.state, COALESCE(j.card_id, 0)
		FROM cards c JOIN jobs j ON j.id = c.job_id
		WHERE c.state NOT IN ('issued', 'spoiled', 'voided')
		AND (j.card_id IS NOT c.id OR j.state IN ('issued', 'voided', 'spoiled', 'queued'))
		UNION ALL
		SELECT c.id, c.state, 0, '', 0 FROM cards c LEFT JOIN stock_movements m ON m.card_id = c.id
		WHERE m.id IS NULL`)
	if err != nil {
		return fmt.Errorf("check cards: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var card, job, current int64
		var cardState, jobState string
		if err := rows.Scan(&card, &cardState, &job, &jobState, &current); err != nil {
			return err
		}
		if job == 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("card %d has no stock movement", card))
			continue
		}
		r.Problems = append(r.Problems, fmt.Sprintf("card %d is %s but its job %d is %s with card %d",
			card, cardState, job, jobState, current))
	}
	return rows.Err()
}
