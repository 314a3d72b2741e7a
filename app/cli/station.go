package cli

import (
	"context"
	"database/sql"
	"io"
	"log/slog"

	"permitdesk/app/config"
	"permitdesk/app/issuance"
)

// StationWorker opens the configured printer and encoder the way `permitdesk
// issue` does and returns an issuance worker on them for a long-running
// program such as the desktop app. The worker has already recovered the jobs
// a previous run left mid-way. The returned function closes the worker and
// the devices.
func StationWorker(ctx context.Context, cfg config.Config, log *slog.Logger, db *sql.DB, svc *issuance.Service,
	retryNeedsApproval bool) (*issuance.Worker, func(), error) {
	env := &Env{Out: io.Discard, ErrOut: io.Discard, cfg: &cfg, log: log, db: db}
	ie := &issuanceEnv{svc: svc, retryNeedsApproval: retryNeedsApproval}
	return ie.openWorker(ctx, env)
}
