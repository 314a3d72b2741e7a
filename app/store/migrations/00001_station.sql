-- +goose Up
-- settings holds workstation-wide key/value state that outlives a restart,
-- such as sync cursors and the last known central clock skew.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- +goose Down
DROP TABLE settings;
