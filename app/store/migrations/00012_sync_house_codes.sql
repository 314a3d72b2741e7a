-- +goose Up
-- sync_house_codes caches the city's house register for offline lookups;
-- rows come from the change feed and from online lookups.
CREATE TABLE sync_house_codes (
    code      TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL,
    district  TEXT NOT NULL,
    street    TEXT NOT NULL,
    community TEXT NOT NULL,
    detail    TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    pulled_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE sync_house_codes;
