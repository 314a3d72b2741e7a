package issuance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"permitdesk/app/permit"
)

// addressChange is the latest address the station wrote to a card of a
// permit through an address change.
type addressChange struct {
	RewriteJobID int64
	Address      permit.Address
}

// latestAddressChange reads the newest address change of permit number
// from the rewrite_jobs table that package rewrite keeps in the same
// database. Only a change whose chip write committed counts (states
// chip_updated, strip_printing and done). It returns nil when the permit
// has none.
//
// NOTE: this query depends on the rewrite_jobs columns permit_number,
// new_address (the JSON of rewrite.Address, a superset of permit.Address)
// and state, so a change to those columns must update it.
func latestAddressChange(ctx context.Context, q querier, number string) (*addressChange, error) {
	var c addressChange
	var text string
	err := q.QueryRowContext(ctx, `SELECT id, new_address FROM rewrite_jobs WHERE permit_number = ?
		AND state IN ('chip_updated', 'strip_printing', 'done') ORDER BY id DESC LIMIT 1`, number).Scan(
		&c.RewriteJobID, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read address changes of permit %s: %w", number, err)
	}
	if err := json.Unmarshal([]byte(text), &c.Address); err != nil {
		return nil, fmt.Errorf("address change %d of permit %s: stored address is not valid JSON: %w",
			c.RewriteJobID, number, err)
	}
	if c.Address.HouseCode == "" {
		return nil, fmt.Errorf("address change %d of permit %s has no house code: finish or roll back "+
			"that change with permitdesk rewrite before the reprint", c.RewriteJobID, number)
	}
	return &c, nil
}
