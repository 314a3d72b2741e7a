-- +goose Up
-- sync_cursors stores, per feed, the central sequence of the last item
-- stored; the next pull asks for items after it.
CREATE TABLE sync_cursors (
    feed       TEXT PRIMARY KEY,
    after_seq  INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- sync_link is the one-row state of the link to the central system.
CREATE TABLE sync_link (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    offline_since     TEXT,
    last_success_at   TEXT,
    last_error        TEXT NOT NULL DEFAULT '',
    clock_skew_ms     INTEGER,
    skew_measured_at  TEXT,
    server_seq        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_link (id) VALUES (1);

-- +goose Down
DROP TABLE sync_link;
DROP TABLE sync_cursors;
