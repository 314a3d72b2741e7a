package issuance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	appsync "permitdesk/app/sync"
)

// NormalizeApplicationID trims an application id and upper-cases it, as
// the central system writes ids (such as JZ20261003000001). It rejects an
// empty id.
func NormalizeApplicationID(id string) (string, error) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if id == "" {
		return "", errors.New("missing application id: give the id printed on the approval, " +
			"such as JZ20261003000001")
	}
	return id, nil
}

// applicationNotFound explains a missing application from the state of the
// local cache: never pulled, or pulled without it. The cache holds only the
// applications assigned to this station, so an id it lacks after a pull is
// mistyped, another station's, or approved since the pull.
func (s *Service) applicationNotFound(ctx context.Context, id string, cause error) error {
	var pulledAt string
	err := s.db.QueryRowContext(ctx, `SELECT updated_at FROM sync_cursors WHERE feed = ?`,
		appsync.FeedApplications).Scan(&pulledAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: application %q: this station has never pulled its applications from the "+
			"central system: run `permitdesk sync --once`, then issue again", appsync.ErrApplicationNotFound, id)
	case err != nil:
		return fmt.Errorf("%w (reading the pull time failed: %w)", cause, err)
	}
	return fmt.Errorf("%w: application %q is not among the applications assigned to station %s "+
		"(last pulled %s): check the id; an application of another station is issued at that station; "+
		"one approved since the last pull arrives with `permitdesk sync --once`",
		appsync.ErrApplicationNotFound, id, s.opt.StationID, pulledAt)
}
