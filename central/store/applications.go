package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"permitdesk/central/api"
	"permitdesk/central/seed"
)

// Empty reports whether the store has no applications yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM applications`).Scan(&n)
	return n == 0, err
}

// Seed inserts a dataset in one transaction. Approved applications get
// sequences in approval order and, with a seal key, their seal; then the
// house register follows.
func (s *Store) Seed(ctx context.Context, ds *seed.Dataset) error {
	return s.inTx(ctx, func(sqlTx *sql.Tx) error {
		tx := newPreparedTx(sqlTx)
		defer tx.Close()
		for _, a := range ds.Applications {
			if err := insertApplication(ctx, tx, a); err != nil {
				return fmt.Errorf("seed application %s: %w", a.ID, err)
			}
			if a.Status != seed.StatusApproved || s.seal == nil {
				continue
			}
			if err := s.sealApplication(ctx, tx, a.ID); err != nil {
				return err
			}
		}
		for _, h := range ds.HouseCodes {
			if _, err := putHouseCode(ctx, tx, h.Address, h.Status); err != nil {
				return fmt.Errorf("seed house code %s: %w", h.Address.HouseCode, err)
			}
		}
		return nil
	})
}

func insertApplication(ctx context.Context, tx querier, a seed.Application) error {
	var seq int64
	var approvedAt, permit any
	if a.Status == seed.StatusApproved {
		var err error
		if seq, err = nextSeq(ctx, tx); err != nil {
			return err
		}
		approvedAt, permit = formatTime(*a.ApprovedAt), a.PermitNumber
	}
	var photo any
	if len(a.Photo) > 0 {
		photo = a.Photo
	}
	h, ad := a.Holder, a.Address
	_, err := tx.ExecContext(ctx, `INSERT INTO applications (id, station_id, status, seq, name, sex,
		ethnicity, birth_date, id_number, hukou_address, house_code, district, street, community,
		detail, permit_number, authority, approved_at, valid_from, valid_to, photo)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		a.ID, a.StationID, a.Status, seq, h.Name, string(h.Sex), h.Ethnicity,
		h.BirthDate.Format(time.DateOnly), h.IdNumber, h.HukouAddress, ad.HouseCode, ad.District,
		ad.Street, ad.Community, ad.Detail, permit, a.Authority, approvedAt,
		nullString(a.ValidFrom), nullString(a.ValidTo), photo)
	return err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const applicationColumns = `seq, id, station_id, name, sex, ethnicity, birth_date, id_number,
	hukou_address, house_code, district, street, community, detail, permit_number, authority,
	approved_at, valid_from, valid_to, length(photo), seal_key_id, seal_signature`

func scanApplication(sc interface{ Scan(...any) error }) (api.Application, error) {
	var a api.Application
	var birth, approved, from, to string
	var photoSize sql.NullInt64
	var sealKeyID sql.NullString
	var sealSignature []byte
	err := sc.Scan(&a.Seq, &a.Id, &a.StationId, &a.Holder.Name, &a.Holder.Sex, &a.Holder.Ethnicity,
		&birth, &a.Holder.IdNumber, &a.Holder.HukouAddress, &a.Address.HouseCode, &a.Address.District,
		&a.Address.Street, &a.Address.Community, &a.Address.Detail, &a.PermitNumber, &a.Authority,
		&approved, &from, &to, &photoSize, &sealKeyID, &sealSignature)
	if err != nil {
		return a, err
	}
	a.Seal = scanSeal(sealKeyID, sealSignature)
	a.Holder.BirthDate = date(birth)
	a.ApprovedAt = parseTime(approved)
	a.ValidFrom, a.ValidTo = date(from), date(to)
	a.PhotoSize = int(photoSize.Int64)
	return a, nil
}

func date(s string) openapi_types.Date {
	t, _ := time.Parse(time.DateOnly, s)
	return openapi_types.Date{Time: t}
}

// Applications returns the station's approved applications with a sequence
// after the cursor, oldest first, and whether more follow. With photos the
// JPEG portraits are included.
func (s *Store) Applications(ctx context.Context, station string, after int64, limit int, photos bool) ([]api.Application, bool, error) {
	cols := applicationColumns
	if photos {
		cols += ", photo"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+cols+` FROM applications
		WHERE station_id = ? AND seq > ? AND status IN ('approved', 'issued', 'revoked', 'cancelled')
		ORDER BY seq LIMIT ?`, station, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list applications: %w", err)
	}
	defer rows.Close()
	var out []api.Application
	for rows.Next() {
		var a api.Application
		if photos {
			var photo []byte
			a, err = scanApplication(scanWith(rows, &photo))
			if len(photo) > 0 {
				a.Photo = &photo
			}
		} else {
			a, err = scanApplication(rows)
		}
		if err != nil {
			return nil, false, fmt.Errorf("read application: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	out, more := page(out, limit)
	return out, more, nil
}

// scanWith appends extra destinations to a row scan.
type extraScanner struct {
	rows  *sql.Rows
	extra []any
}

func scanWith(rows *sql.Rows, extra ...any) extraScanner { return extraScanner{rows, extra} }

func (e extraScanner) Scan(dest ...any) error { return e.rows.Scan(append(dest, e.extra...)...) }

// Application returns one application by id, any status.
func (s *Store) Application(ctx context.Context, id string) (api.Application, string, error) {
	var status string
	a, err := scanApplication(scanWithRow(s.db.QueryRowContext(ctx, `SELECT `+applicationColumns+
		`, status FROM applications WHERE id = ?`, id), &status))
	if errors.Is(err, sql.ErrNoRows) {
		return a, "", fmt.Errorf("application %q: %w", id, ErrNotFound)
	}
	return a, status, err
}

type rowScanner struct {
	row   *sql.Row
	extra []any
}

func scanWithRow(row *sql.Row, extra ...any) rowScanner { return rowScanner{row, extra} }

func (r rowScanner) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra...)...) }

// Photo returns the portrait of one of the station's applications.
func (s *Store) Photo(ctx context.Context, station, id string) ([]byte, error) {
	var photo []byte
	err := s.db.QueryRowContext(ctx, `SELECT photo FROM applications
		WHERE id = ? AND station_id = ? AND status != 'pending' AND photo IS NOT NULL`, id, station).Scan(&photo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("portrait of application %q for station %s: %w", id, station, ErrNotFound)
	}
	return photo, err
}

// Summary is one line of the administrator's application list.
type Summary struct {
	ID           string `json:"id"`
	StationID    string `json:"stationId"`
	Status       string `json:"status"`
	Seq          int64  `json:"seq"`
	Name         string `json:"name"`
	IDNumber     string `json:"idNumber"`
	PermitNumber string `json:"permitNumber,omitempty"`
}

// ListFilter selects applications for List; empty fields match everything.
type ListFilter struct {
	Status  string
	Station string
	// Limit caps the result; 0 means 100.
	Limit int
}

// List returns applications for the administrator, newest sequence first,
// pending ones (sequence 0) last.
func (s *Store) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	if f.Limit == 0 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Station != "" {
		where, args = append(where, "station_id = ?"), append(args, f.Station)
	}
	q := `SELECT id, station_id, status, seq, name, id_number, coalesce(permit_number, '') FROM applications`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY seq DESC, id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var sm Summary
		if err := rows.Scan(&sm.ID, &sm.StationID, &sm.Status, &sm.Seq, &sm.Name, &sm.IDNumber, &sm.PermitNumber); err != nil {
			return nil, err
		}
		out = append(out, sm)
	}
	return out, rows.Err()
}

// Approve approves a pending application: it assigns the next permit
// number, the validity and a new sequence, so stations pull it next, and
// signs its issuance seal. Without a seal key it returns ErrNoSealKey.
func (s *Store) Approve(ctx context.Context, id string) (api.Application, error) {
	if s.seal == nil {
		return api.Application{}, fmt.Errorf("approve application %q: %w: pass --pki with the directory "+
			"made by `permitdesk central pki init`", id, ErrNoSealKey)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("application %q: %w: list pending ones with `permitdesk central admin list --status pending`", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != seed.StatusPending {
			return fmt.Errorf("application %q is %s, only pending applications can be approved: %w", id, status, ErrState)
		}
		if err := approve(ctx, tx, id, s.now()); err != nil {
			return err
		}
		return s.sealApplication(ctx, tx, id)
	})
	if err != nil {
		return api.Application{}, err
	}
	a, _, err := s.Application(ctx, id)
	return a, err
}

func approve(ctx context.Context, tx *sql.Tx, id string, now time.Time) error {
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	year := now.In(seed.ChinaTime).Year()
	var serial int
	err = tx.QueryRowContext(ctx, `SELECT coalesce(max(CAST(substr(permit_number, 7) AS INTEGER)), 0) + 1
		FROM applications WHERE permit_number LIKE ?`, fmt.Sprintf("SZ%04d%%", year)).Scan(&serial)
	if err != nil {
		return fmt.Errorf("next permit number: %w", err)
	}
	from, to := seed.Validity(now)
	_, err = tx.ExecContext(ctx, `UPDATE applications SET status = 'approved', seq = ?, permit_number = ?,
		approved_at = ?, valid_from = ?, valid_to = ? WHERE id = ?`,
		seq, seed.PermitNumber(year, serial), formatTime(now), from.Format(time.DateOnly), to.Format(time.DateOnly), id)
	return err
}
