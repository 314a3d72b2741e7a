-- +goose Up
-- sync_revocations caches the central revocation feed: 'revoked' ends an
-- issued permit, 'cancelled' withdraws an approval before issuance.
CREATE TABLE sync_revocations (
    seq            INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('revoked', 'cancelled')),
    application_id TEXT NOT NULL,
    permit_number  TEXT NOT NULL,
    reason         TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX sync_revocations_permit ON sync_revocations (permit_number);

-- +goose Down
DROP TABLE sync_revocations;
