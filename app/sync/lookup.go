package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"permitdesk/app/permit"
	"permitdesk/central/api"
)

// ErrHouseCodeNotFound means the house register has no such code.
var ErrHouseCodeNotFound = errors.New("house code not found")

// ErrHouseCodeFormat means a house code is not 19 digits.
var ErrHouseCodeFormat = errors.New("invalid house code")

// houseCodeDigits is the length of a house code: a 6-digit district code,
// 2-digit street and community indexes, a 5-digit building serial and a
// 4-digit room.
const houseCodeDigits = 19

// CheckHouseCode returns an error wrapping ErrHouseCodeFormat unless code is
// 19 digits.
func CheckHouseCode(code string) error {
	digits := len(code) == houseCodeDigits && strings.Trim(code, "0123456789") == ""
	if !digits {
		return fmt.Errorf("%w %q: a house code is %d digits (district, street, community, building, room): "+
			"check the code on the door plate", ErrHouseCodeFormat, code, houseCodeDigits)
	}
	return nil
}

// ErrApplicationNotFound means no approved application is cached under the
// id or identity number.
var ErrApplicationNotFound = errors.New("application not found")

// ErrApplicationWithdrawn means the central system cancelled the approval or
// revoked the permit, so no card may be issued for the application.
var ErrApplicationWithdrawn = errors.New("application withdrawn by the central system")

// RevocationCheck is the result of CheckRevoked.
type RevocationCheck struct {
	PermitNumber string
	Revoked      bool
	// Kind is "revoked" or "cancelled" when Revoked.
	Kind   string
	Reason string
	// Online is true when the central system replied. When false, the result
	// comes from the revocation feed pulled at AsOf, and a zero AsOf means
	// the feed was never pulled.
	Online bool
	AsOf   time.Time
	// OnlineError is the reason the online check failed, when it did.
	OnlineError string
}

// CheckRevoked queries the central system whether a permit is revoked or
// cancelled and falls back to the cached revocation feed when the link is
// down. The caller applies its own policy and uses Online and AsOf to judge
// how fresh the result is.
func (s *Service) CheckRevoked(ctx context.Context, permitNumber string) (RevocationCheck, error) {
	res := RevocationCheck{PermitNumber: permitNumber}
	if s.o.Client != nil {
		lctx, cancel := context.WithTimeout(ctx, s.o.LookupTimeout)
		st, obs, err := s.o.Client.PermitStatus(lctx, permitNumber)
		cancel()
		if err == nil {
			s.observe(ctx, obs)
			res.Online, res.AsOf, res.Revoked = true, st.ServerTime, st.Revoked
			if st.Revocation != nil {
				res.Kind, res.Reason = string(st.Revocation.Kind), st.Revocation.Reason
			}
			return res, nil
		}
		if !isLinkError(err) {
			return res, fmt.Errorf("check permit %s: %w", permitNumber, err)
		}
		s.linkFailed(ctx, err)
		res.OnlineError = err.Error()
	}
	return s.cachedRevocation(ctx, res)
}

func (s *Service) cachedRevocation(ctx context.Context, res RevocationCheck) (RevocationCheck, error) {
	var asOf sql.NullString
	err := s.o.DB.QueryRowContext(ctx, `SELECT updated_at FROM sync_cursors WHERE feed = ?`, FeedRevocations).Scan(&asOf)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("read revocation cache: %w", err)
	}
	res.AsOf = parseTime(asOf.String)
	err = s.o.DB.QueryRowContext(ctx, `SELECT kind, reason FROM sync_revocations WHERE permit_number = ?
		ORDER BY seq DESC LIMIT 1`, res.PermitNumber).Scan(&res.Kind, &res.Reason)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return res, nil
	case err != nil:
		return res, fmt.Errorf("read revocation cache: %w", err)
	}
	res.Revoked = true
	return res, nil
}

// HouseCodeLookup is the result of LookupHouseCode.
type HouseCodeLookup struct {
	Address permit.Address
	// Retired register entries may not be used for new addresses.
	Retired bool
	// Online is true when the central system replied. When false, the result
	// comes from the cached register, last refreshed at AsOf.
	Online bool
	AsOf   time.Time
}

// LookupHouseCode resolves a house code online and caches the result. When
// the link is down, it reads the cached register instead. A code unknown to
// the side that was asked returns ErrHouseCodeNotFound.
func (s *Service) LookupHouseCode(ctx context.Context, code string) (HouseCodeLookup, error) {
	if err := CheckHouseCode(code); err != nil {
		return HouseCodeLookup{}, err
	}
	if s.o.Client != nil {
		lctx, cancel := context.WithTimeout(ctx, s.o.LookupTimeout)
		hc, obs, err := s.o.Client.HouseCode(lctx, code)
		cancel()
		switch {
		case err == nil:
			s.observe(ctx, obs)
			if err := s.cacheHouseCode(ctx, hc.HouseCode); err != nil {
				s.log.Error("cache house code", "house_code", code, "error", err)
			}
			return HouseCodeLookup{Address: toAddress(hc.HouseCode.Address), Retired: hc.HouseCode.Status == "retired",
				Online: true, AsOf: hc.ServerTime}, nil
		case errors.Is(err, ErrNotFound):
			s.observe(ctx, obs)
			return HouseCodeLookup{Online: true}, fmt.Errorf("house code %q: %w in the central register: check the code on the door plate", code, ErrHouseCodeNotFound)
		case !isLinkError(err):
			return HouseCodeLookup{}, fmt.Errorf("look up house code %q: %w", code, err)
		}
		s.linkFailed(ctx, err)
	}
	return s.cachedHouseCode(ctx, code)
}

func (s *Service) cachedHouseCode(ctx context.Context, code string) (HouseCodeLookup, error) {
	var res HouseCodeLookup
	var status, pulled string
	a := &res.Address
	err := s.o.DB.QueryRowContext(ctx, `SELECT code, district, street, community, detail, status, pulled_at
		FROM sync_house_codes WHERE code = ?`, code).Scan(&a.HouseCode, &a.District, &a.Street, &a.Community,
		&a.Detail, &status, &pulled)
	if errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("house code %q: %w in the cached register and the central system is unreachable: "+
			"check the code, or wait for the link", code, ErrHouseCodeNotFound)
	}
	if err != nil {
		return res, fmt.Errorf("read house register cache: %w", err)
	}
	res.Retired, res.AsOf = status == "retired", parseTime(pulled)
	return res, nil
}

// Application returns a cached approved application with its portrait. A
// portrait not pulled yet is fetched from the central system when online.
// A cancelled or revoked application is returned with ErrApplicationWithdrawn.
func (s *Service) Application(ctx context.Context, id string) (permit.Application, error) {
	apps, err := s.applications(ctx, `id = ?`, id)
	if err != nil {
		return permit.Application{}, err
	}
	if len(apps) == 0 {
		return permit.Application{}, fmt.Errorf("application %q: %w in the local cache: run `permitdesk sync --once`", id, ErrApplicationNotFound)
	}
	var status string
	if err := s.o.DB.QueryRowContext(ctx, `SELECT status FROM sync_applications WHERE id = ?`, id).Scan(&status); err != nil {
		return permit.Application{}, fmt.Errorf("read application status: %w", err)
	}
	a := apps[0]
	if status != "approved" {
		return a, fmt.Errorf("application %s (permit %s) is %s: %w: do not issue a card for it",
			id, a.PermitNumber, status, ErrApplicationWithdrawn)
	}
	if a.Photo == nil && s.o.Client != nil {
		photo, err := s.o.Client.Photo(ctx, id)
		if err != nil {
			return a, fmt.Errorf("application %s has no cached portrait and fetching it failed: %w", id, err)
		}
		if _, err := s.o.DB.ExecContext(ctx, `UPDATE sync_applications SET photo = ? WHERE id = ?`, photo, id); err != nil {
			return a, fmt.Errorf("cache portrait: %w", err)
		}
		a.Photo = photo
	}
	return a, nil
}

// ApplicationsByIDNumber returns the cached approved applications of one
// person, newest approval first, without portraits.
func (s *Service) ApplicationsByIDNumber(ctx context.Context, idNumber string) ([]permit.Application, error) {
	apps, err := s.applications(ctx, `id_number = ? AND status = 'approved'`, idNumber)
	for i := range apps {
		apps[i].Photo = nil
	}
	return apps, err
}

func (s *Service) applications(ctx context.Context, where string, arg any) ([]permit.Application, error) {
	rows, err := s.o.DB.QueryContext(ctx, `SELECT id, station_id, name, sex, ethnicity, birth_date, id_number,
		hukou_address, house_code, district, street, community, detail, permit_number, authority, approved_at,
		valid_from, valid_to, photo FROM sync_applications WHERE `+where+` ORDER BY seq DESC`, arg)
	if err != nil {
		return nil, fmt.Errorf("read cached applications: %w", err)
	}
	defer rows.Close()
	var out []permit.Application
	for rows.Next() {
		var a permit.Application
		var birth, approved, from, to string
		h, ad := &a.Holder, &a.Address
		if err := rows.Scan(&a.ID, &a.StationID, &h.Name, &h.Sex, &h.Ethnicity, &birth, &h.IDNumber,
			&h.HukouAddress, &ad.HouseCode, &ad.District, &ad.Street, &ad.Community, &ad.Detail,
			&a.PermitNumber, &a.Authority, &approved, &from, &to, &a.Photo); err != nil {
			return nil, err
		}
		h.BirthDate, a.ApprovedAt = parseDate(birth), parseTime(approved)
		a.ValidFrom, a.ValidTo = parseDate(from), parseDate(to)
		out = append(out, a)
	}
	return out, rows.Err()
}

func parseDate(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func toAddress(a api.Address) permit.Address {
	return permit.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail}
}

func (s *Service) cacheHouseCode(ctx context.Context, h api.HouseCode) error {
	stmt, err := s.o.DB.PrepareContext(ctx, upsertHouseCodeSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	return upsertHouseCode(ctx, stmt, h, s.o.Now())
}
