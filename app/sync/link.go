package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// observe stores a successful exchange: the link is up, and the skew and
// server sequence are fresh.
func (s *Service) observe(ctx context.Context, obs Observation) {
	if err := s.storeObservation(ctx, s.o.DB, obs); err != nil {
		s.log.Error("store link state", "error", err)
	}
}

// storeObservation writes the link state through db, which may be the
// transaction that stores the exchange's results.
func (s *Service) storeObservation(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, obs Observation) error {
	skew := obs.Skew()
	_, err := db.ExecContext(ctx, `UPDATE sync_link SET offline_since = NULL, last_success_at = ?,
		last_error = '', clock_skew_ms = ?, skew_measured_at = ?, server_seq = max(server_seq, ?) WHERE id = 1`,
		formatTime(obs.Received), skew.Milliseconds(), formatTime(obs.Received), obs.ServerSeq)
	if err == nil && abs(skew) > s.o.SkewTolerance {
		s.log.Warn("station clock differs from the central system", "skew", skew.Round(time.Second))
	}
	return err
}

// linkFailed records that the central system could not be used.
func (s *Service) linkFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	_, dbErr := s.o.DB.ExecContext(ctx, `UPDATE sync_link SET offline_since = coalesce(offline_since, ?),
		last_error = ? WHERE id = 1`, formatTime(s.o.Now()), err.Error())
	if dbErr != nil {
		s.log.Error("store link state", "error", dbErr)
	}
}

// isLinkError reports whether err means the link or server failed, as
// opposed to a refused request or a local error.
func isLinkError(err error) bool {
	for _, e := range []error{ErrOffline, ErrCertRejected, ErrServerUntrusted, ErrServer, ErrMalformed, ErrTooLarge} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// isCentralError reports whether err came from the central system or the
// link to it; such errors are shown in Status.
func isCentralError(err error) bool {
	return isLinkError(err) || errors.Is(err, ErrRequest) || errors.Is(err, ErrNotFound)
}

// skew returns the last measured clock skew, if any.
func (s *Service) skew(ctx context.Context) (time.Duration, bool) {
	var ms sql.NullInt64
	if err := s.o.DB.QueryRowContext(ctx, `SELECT clock_skew_ms FROM sync_link WHERE id = 1`).Scan(&ms); err != nil {
		return 0, false
	}
	return time.Duration(ms.Int64) * time.Millisecond, ms.Valid
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// describeSkew returns a warning for a skew past the tolerance, or "".
func (s *Service) describeSkew(skew time.Duration) string {
	if abs(skew) <= s.o.SkewTolerance {
		return ""
	}
	dir := "behind"
	if skew < 0 {
		dir = "ahead of"
	}
	return fmt.Sprintf("the station clock is %s %s the central system: set the workstation clock (records are "+
		"still ordered by the central sequence)", abs(skew).Round(time.Second), dir)
}
