package sync

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"permitdesk/app/store"
	"permitdesk/central/api"
)

// Feed names, as stored in sync_cursors.
const (
	FeedApplications = "applications"
	FeedRevocations  = "revocations"
	FeedHouseCodes   = "house_codes"
)

// PullReport counts the items a pull stored.
type PullReport struct {
	Applications int `json:"applications"`
	Revocations  int `json:"revocations"`
	HouseCodes   int `json:"houseCodes"`
	// SealKeys is the number of seal keys newly cached; 0 when nothing
	// changed or a key is pinned in the configuration.
	SealKeys int `json:"sealKeys"`
}

// Pull fetches every feed from its stored cursor to the end, then the seal
// keys. Each page is stored with its cursor in one transaction, so an
// interrupted pull resumes after the last stored page.
func (s *Service) Pull(ctx context.Context) (PullReport, error) {
	var rep PullReport
	if s.o.Client == nil {
		return rep, fmt.Errorf("%w: central.url is not configured", ErrOffline)
	}
	s.pullMu.Lock()
	defer s.pullMu.Unlock()
	var err error
	if rep.Applications, err = s.pullFeed(ctx, FeedApplications, s.applicationPage); err != nil {
		return rep, err
	}
	if rep.Revocations, err = s.pullFeed(ctx, FeedRevocations, s.revocationPage); err != nil {
		return rep, err
	}
	if rep.HouseCodes, err = s.pullFeed(ctx, FeedHouseCodes, s.houseCodePage); err != nil {
		return rep, err
	}
	rep.SealKeys, err = s.pullSealKeys(ctx)
	return rep, err
}

// pageFunc fetches the page after a cursor and returns a function that
// stores it in a transaction, the next cursor, and whether more follow.
type pageFunc func(ctx context.Context, after int64) (save func(*sql.Tx) error, n int, next int64, more bool, obs Observation, err error)

func (s *Service) pullFeed(ctx context.Context, feed string, fetch pageFunc) (int, error) {
	after, err := s.cursor(ctx, feed)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		save, n, next, more, obs, err := fetch(ctx, after)
		if err != nil {
			if isCentralError(err) {
				s.linkFailed(ctx, err)
			}
			return total, fmt.Errorf("pull %s after %d: %w", feed, after, err)
		}
		s.observe(ctx, obs)
		if next < after {
			return total, fmt.Errorf("pull %s: %w: cursor went back from %d to %d", feed, ErrMalformed, after, next)
		}
		err = store.InTx(ctx, s.o.DB, func(tx *sql.Tx) error {
			if err := save(tx); err != nil {
				return err
			}
			return setCursor(ctx, tx, feed, next, s.o.Now())
		})
		if err != nil {
			return total, fmt.Errorf("store %s page: %w", feed, err)
		}
		total, after = total+n, next
		if !more || n == 0 {
			return total, nil
		}
	}
}

func (s *Service) cursor(ctx context.Context, feed string) (int64, error) {
	var after int64
	err := s.o.DB.QueryRowContext(ctx, `SELECT after_seq FROM sync_cursors WHERE feed = ?`, feed).Scan(&after)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s cursor: %w", feed, err)
	}
	return after, nil
}

func setCursor(ctx context.Context, tx *sql.Tx, feed string, after int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sync_cursors (feed, after_seq, updated_at) VALUES (?,?,?)
		ON CONFLICT (feed) DO UPDATE SET after_seq = excluded.after_seq, updated_at = excluded.updated_at`,
		feed, after, formatTime(now))
	return err
}

func (s *Service) applicationPage(ctx context.Context, after int64) (func(*sql.Tx) error, int, int64, bool, Observation, error) {
	page, obs, err := s.o.Client.Applications(ctx, after, s.o.PageSize, !s.o.SkipPhotos)
	if err == nil {
		err = checkApplications(after, page)
	}
	if err != nil {
		return nil, 0, 0, false, obs, err
	}
	now := formatTime(s.o.Now())
	save := func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, upsertApplicationSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, a := range page.Items {
			if err := upsertApplication(ctx, stmt, a, now); err != nil {
				return fmt.Errorf("application %s: %w", a.Id, err)
			}
		}
		return nil
	}
	return save, len(page.Items), page.Next, page.More, obs, nil
}

// upsertApplicationSQL stores an application; a portrait already cached is
// kept when the new copy comes without one.
const upsertApplicationSQL = `INSERT INTO sync_applications (id, seq, station_id, name, sex, ethnicity,
		birth_date, id_number, hukou_address, house_code, district, street, community, detail, permit_number,
		authority, approved_at, valid_from, valid_to, photo, photo_size, pulled_at, seal_key_id, seal_algorithm,
		seal_signature)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, name = excluded.name, sex = excluded.sex,
		ethnicity = excluded.ethnicity, birth_date = excluded.birth_date, id_number = excluded.id_number,
		hukou_address = excluded.hukou_address, house_code = excluded.house_code, district = excluded.district,
		street = excluded.street, community = excluded.community, detail = excluded.detail,
		permit_number = excluded.permit_number, authority = excluded.authority, approved_at = excluded.approved_at,
		valid_from = excluded.valid_from, valid_to = excluded.valid_to,
		photo = coalesce(excluded.photo, sync_applications.photo), photo_size = excluded.photo_size,
		pulled_at = excluded.pulled_at, seal_key_id = excluded.seal_key_id,
		seal_algorithm = excluded.seal_algorithm, seal_signature = excluded.seal_signature`

func upsertApplication(ctx context.Context, stmt *sql.Stmt, a api.Application, now string) error {
	var photo any
	if a.Photo != nil {
		photo = *a.Photo
	}
	var sealKeyID, sealAlgorithm string
	var sealSignature []byte
	if a.Seal != nil {
		sealKeyID, sealAlgorithm, sealSignature = a.Seal.KeyId, string(a.Seal.Algorithm), a.Seal.Signature
	}
	h, ad := a.Holder, a.Address
	_, err := stmt.ExecContext(ctx, a.Id, a.Seq, a.StationId, h.Name, string(h.Sex), h.Ethnicity, h.BirthDate.Format(time.DateOnly),
		h.IdNumber, h.HukouAddress, ad.HouseCode, ad.District, ad.Street, ad.Community, ad.Detail,
		a.PermitNumber, a.Authority, formatTime(a.ApprovedAt), a.ValidFrom.Format(time.DateOnly),
		a.ValidTo.Format(time.DateOnly), photo, a.PhotoSize, now, sealKeyID, sealAlgorithm, sealSignature)
	return err
}

func (s *Service) revocationPage(ctx context.Context, after int64) (func(*sql.Tx) error, int, int64, bool, Observation, error) {
	page, obs, err := s.o.Client.Revocations(ctx, after, s.o.PageSize)
	if err == nil {
		err = checkSeqs(after, page.Next, len(page.Items), func(i int) int64 { return page.Items[i].Seq })
	}
	if err != nil {
		return nil, 0, 0, false, obs, err
	}
	save := func(tx *sql.Tx) error {
		for _, r := range page.Items {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sync_revocations (seq, kind, application_id,
				permit_number, reason, at) VALUES (?,?,?,?,?,?) ON CONFLICT (seq) DO NOTHING`,
				r.Seq, string(r.Kind), r.ApplicationId, r.PermitNumber, r.Reason, formatTime(r.At)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sync_applications SET status = ? WHERE id = ?`,
				string(r.Kind), r.ApplicationId); err != nil {
				return err
			}
		}
		return nil
	}
	return save, len(page.Items), page.Next, page.More, obs, nil
}

func (s *Service) houseCodePage(ctx context.Context, after int64) (func(*sql.Tx) error, int, int64, bool, Observation, error) {
	page, obs, err := s.o.Client.HouseCodeChanges(ctx, after, s.o.PageSize)
	if err == nil {
		err = checkSeqs(after, page.Next, len(page.Items), func(i int) int64 { return page.Items[i].Seq })
	}
	if err != nil {
		return nil, 0, 0, false, obs, err
	}
	now := s.o.Now()
	save := func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, upsertHouseCodeSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, h := range page.Items {
			if err := upsertHouseCode(ctx, stmt, h, now); err != nil {
				return err
			}
		}
		return nil
	}
	return save, len(page.Items), page.Next, page.More, obs, nil
}

// upsertHouseCodeSQL stores a register entry unless a newer one is cached.
const upsertHouseCodeSQL = `INSERT INTO sync_house_codes (code, seq, district, street, community,
	detail, status, pulled_at) VALUES (?,?,?,?,?,?,?,?)
	ON CONFLICT (code) DO UPDATE SET seq = excluded.seq, district = excluded.district,
	street = excluded.street, community = excluded.community, detail = excluded.detail,
	status = excluded.status, pulled_at = excluded.pulled_at WHERE excluded.seq >= sync_house_codes.seq`

// execer is a statement or a database handle.
type execer interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

func upsertHouseCode(ctx context.Context, stmt execer, h api.HouseCode, now time.Time) error {
	a := h.Address
	_, err := stmt.ExecContext(ctx, a.HouseCode, h.Seq, a.District, a.Street, a.Community, a.Detail, string(h.Status), formatTime(now))
	return err
}

// checkSeqs accepts a page only when its items follow the cursor in
// increasing sequence and next is the last item's sequence.
func checkSeqs(after, next int64, n int, seq func(int) int64) error {
	prev := after
	for i := 0; i < n; i++ {
		if seq(i) <= prev {
			return fmt.Errorf("%w: item %d has sequence %d, not after %d", ErrMalformed, i, seq(i), prev)
		}
		prev = seq(i)
	}
	if n > 0 && next != prev {
		return fmt.Errorf("%w: next cursor %d is not the last sequence %d", ErrMalformed, next, prev)
	}
	return nil
}

// checkApplications also rejects applications without the fields a card
// needs to be looked up and issued.
func checkApplications(after int64, page api.ApplicationPage) error {
	for _, a := range page.Items {
		if a.Id == "" || a.PermitNumber == "" || a.Holder.IdNumber == "" {
			return fmt.Errorf("%w: application %q lacks an id, permit number or identity number", ErrMalformed, a.Id)
		}
	}
	return checkSeqs(after, page.Next, len(page.Items), func(i int) int64 { return page.Items[i].Seq })
}
