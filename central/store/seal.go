package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"permitdesk/central/api"
	"permitdesk/devices/permitcard"
)

// ErrNoSealKey means the store was opened without a seal key, so it cannot
// approve applications.
var ErrNoSealKey = errors.New("no seal key loaded")

// addSealColumns adds the seal columns to a database created before they
// existed; a new database has them from schema.sql.
func addSealColumns(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('applications')
		WHERE name = 'seal_key_id'`).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	for _, stmt := range []string{
		`ALTER TABLE applications ADD COLUMN seal_key_id TEXT`,
		`ALTER TABLE applications ADD COLUMN seal_signature BLOB`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// sealApplication signs the card data of application id with the store's
// seal key and stores the seal.
func (s *Store) sealApplication(ctx context.Context, tx querier, id string) error {
	if s.seal == nil {
		return fmt.Errorf("seal application %q: %w: start the store with the key of `permitdesk central pki init`",
			id, ErrNoSealKey)
	}
	msg, err := sealMessage(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("seal application %q: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE applications SET seal_key_id = ?, seal_signature = ? WHERE id = ?`,
		s.seal.ID, s.seal.Sign(msg), id)
	return err
}

// sealMessage returns permitcard.SealMessage of the application's stored
// holder, permit and portrait: the bytes a station verifies on the card.
func sealMessage(ctx context.Context, tx querier, id string) ([]byte, error) {
	var h permitcard.Holder
	var p permitcard.Permit
	var birth, from, to sql.NullString
	var permitNumber sql.NullString
	var photo []byte
	err := tx.QueryRowContext(ctx, `SELECT name, sex, ethnicity, birth_date, id_number, hukou_address,
		permit_number, authority, valid_from, valid_to, photo FROM applications WHERE id = ?`, id).Scan(
		&h.Name, &h.Sex, &h.Ethnicity, &birth, &h.IDNumber, &h.HukouAddress, &permitNumber, &p.Authority,
		&from, &to, &photo)
	if err != nil {
		return nil, err
	}
	if !permitNumber.Valid || !from.Valid || !to.Valid {
		return nil, fmt.Errorf("%w: application %q has no permit number or validity yet", ErrState, id)
	}
	p.Number = permitNumber.String
	h.BirthDate, p.ValidFrom, p.ValidTo = dateUTC(birth.String), dateUTC(from.String), dateUTC(to.String)
	return permitcard.SealMessage(h, p, photo)
}

func dateUTC(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// SealMissing seals every approved application that has no seal or a seal
// made by another key than the store's, and gives each a new sequence so
// stations pull it again. It returns how many it sealed. Without a seal key
// it does nothing.
func (s *Store) SealMissing(ctx context.Context) (int, error) {
	if s.seal == nil {
		return 0, nil
	}
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids, err := unsealed(ctx, tx, s.seal.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.sealApplication(ctx, tx, id); err != nil {
				return err
			}
			seq, err := nextSeq(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET seq = ? WHERE id = ?`, seq, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func unsealed(ctx context.Context, tx *sql.Tx, keyID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM applications WHERE status = 'approved'
		AND (seal_key_id IS NULL OR seal_key_id != ?) ORDER BY seq`, keyID)
	if err != nil {
		return nil, fmt.Errorf("list unsealed applications: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SealKeys returns the public keys that the store's seals verify with; none
// without a seal key.
func (s *Store) SealKeys() []api.SealKey {
	if s.seal == nil {
		return []api.SealKey{}
	}
	return []api.SealKey{{KeyId: s.seal.ID, Algorithm: api.SealEd25519, PublicKey: s.seal.Public()}}
}

func scanSeal(keyID sql.NullString, signature []byte) *api.Seal {
	if !keyID.Valid || len(signature) == 0 {
		return nil
	}
	return &api.Seal{KeyId: keyID.String, Algorithm: api.SealEd25519, Signature: signature}
}
