-- +goose Up
-- The issuance seal the central system signed at approval, stored with each
-- cached application: key ID, algorithm and the signature over the card data
-- (permitcard.SealMessage). Empty key ID: the application came without one.
ALTER TABLE sync_applications ADD COLUMN seal_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_applications ADD COLUMN seal_algorithm TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_applications ADD COLUMN seal_signature BLOB;

-- sync_seal_keys caches the seal public keys the central system publishes
-- at /v1/seal-keys; each fetch replaces the whole set.
CREATE TABLE sync_seal_keys (
    key_id     TEXT PRIMARY KEY,
    algorithm  TEXT NOT NULL,
    public_key BLOB NOT NULL,
    fetched_at TEXT NOT NULL
);

-- Applications cached before seals existed lack theirs, so the next pull
-- fetches the application feed from the start again.
DELETE FROM sync_cursors WHERE feed = 'applications';

-- +goose Down
DROP TABLE sync_seal_keys;
ALTER TABLE sync_applications DROP COLUMN seal_signature;
ALTER TABLE sync_applications DROP COLUMN seal_algorithm;
ALTER TABLE sync_applications DROP COLUMN seal_key_id;
