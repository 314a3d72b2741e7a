package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"permitdesk/central/api"
)

// PutHouseCode adds or changes a house-register entry under a new sequence.
func (s *Store) PutHouseCode(ctx context.Context, a api.Address, status api.HouseCodeStatus) (int64, error) {
	var seq int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, err = putHouseCode(ctx, tx, a, status)
		return err
	})
	return seq, err
}

func putHouseCode(ctx context.Context, tx querier, a api.Address, status api.HouseCodeStatus) (int64, error) {
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO house_codes (code, seq, district, street, community, detail, status)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (code) DO UPDATE SET seq = excluded.seq, district = excluded.district,
		street = excluded.street, community = excluded.community, detail = excluded.detail, status = excluded.status`,
		a.HouseCode, seq, a.District, a.Street, a.Community, a.Detail, string(status))
	return seq, err
}

const houseCodeColumns = `seq, code, district, street, community, detail, status`

func scanHouseCode(sc interface{ Scan(...any) error }) (api.HouseCode, error) {
	var h api.HouseCode
	a := &h.Address
	err := sc.Scan(&h.Seq, &a.HouseCode, &a.District, &a.Street, &a.Community, &a.Detail, &h.Status)
	return h, err
}

// HouseCode looks one code up.
func (s *Store) HouseCode(ctx context.Context, code string) (api.HouseCode, error) {
	h, err := scanHouseCode(s.db.QueryRowContext(ctx, `SELECT `+houseCodeColumns+` FROM house_codes WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("house code %q: %w", code, ErrNotFound)
	}
	return h, err
}

// HouseCodeChanges returns register entries changed after the cursor.
func (s *Store) HouseCodeChanges(ctx context.Context, after int64, limit int) ([]api.HouseCode, bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+houseCodeColumns+` FROM house_codes
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list house codes: %w", err)
	}
	defer rows.Close()
	var out []api.HouseCode
	for rows.Next() {
		h, err := scanHouseCode(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	out, more := page(out, limit)
	return out, more, nil
}
