-- +goose Up
-- sync_outbox holds the records to push to the central system. A row is
-- written in the same transaction as the issuance step it reports, and keeps
-- its idempotency key across every retry.
--   state: pending (to send), sent (accepted or duplicate), conflict and
--   rejected (parked with the server's reason until an operator acts).
CREATE TABLE sync_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    application_id  TEXT NOT NULL,
    permit_number   TEXT NOT NULL,
    card_serial     TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'conflict', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    result          TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    server_seq      INTEGER,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX sync_outbox_due ON sync_outbox (state, next_attempt_at, id);

-- +goose Down
DROP TABLE sync_outbox;
