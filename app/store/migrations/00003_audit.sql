-- +goose Up
-- audit_log is append-only and hash-chained: hash is SHA-256 over prev_hash
-- and a canonical encoding of the row, so an edited or removed row breaks the
-- chain. audit_head holds the newest seq and hash, so removing the newest
-- rows is detected too.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
