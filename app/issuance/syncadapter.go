package issuance

import (
	"context"
	"database/sql"
	"fmt"

	appsync "permitdesk/app/sync"
)

// SyncOutbox adapts the sync service's outbox to Outbox.
type SyncOutbox struct{ Sync *appsync.Service }

// Enqueue queues rec inside tx with its idempotency key.
func (o SyncOutbox) Enqueue(ctx context.Context, tx *sql.Tx, rec Record) error {
	_, err := o.Sync.Enqueue(ctx, tx, appsync.Record{Key: rec.Key, Kind: appsync.RecordKind(rec.Kind),
		ApplicationID: rec.ApplicationID, PermitNumber: rec.PermitNumber, CardSerial: rec.CardSerial,
		Reason: rec.Reason, Address: rec.Address, At: rec.StationTime})
	return err
}

// SyncRevocations adapts the sync service's revocation check to
// RevocationChecker. A result from the cached feed that finds nothing is
// reported as ErrRevocationUnknown, so the offline policy decides.
type SyncRevocations struct{ Sync *appsync.Service }

// Revoked checks the permit online, or in the cached revocation feed.
func (r SyncRevocations) Revoked(ctx context.Context, applicationID, permitNumber string) (bool, string, error) {
	c, err := r.Sync.CheckRevoked(ctx, permitNumber)
	if err != nil {
		return false, "", err
	}
	if c.Revoked {
		return true, fmt.Sprintf("%s: %s", c.Kind, c.Reason), nil
	}
	if !c.Online {
		asOf := "never pulled"
		if !c.AsOf.IsZero() {
			asOf = "pulled " + c.AsOf.Format("2006-01-02 15:04")
		}
		return false, "", fmt.Errorf("%w: central system unreachable (%s), revocation feed %s",
			ErrRevocationUnknown, c.OnlineError, asOf)
	}
	return false, "", nil
}
