-- +goose Up
-- sync_applications caches the approved applications the central system
-- assigned to this station, as pulled from its application feed. seq is the
-- central sequence; status turns to 'cancelled' when the revocation feed
-- cancels the approval. Issuance tables refer to rows here by id only.
CREATE TABLE sync_applications (
    id            TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'cancelled', 'revoked')),
    station_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    sex           TEXT NOT NULL,
    ethnicity     TEXT NOT NULL,
    birth_date    TEXT NOT NULL,
    id_number     TEXT NOT NULL,
    hukou_address TEXT NOT NULL,
    house_code    TEXT NOT NULL,
    district      TEXT NOT NULL,
    street        TEXT NOT NULL,
    community     TEXT NOT NULL,
    detail        TEXT NOT NULL,
    permit_number TEXT NOT NULL,
    authority     TEXT NOT NULL,
    approved_at   TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    photo         BLOB,
    photo_size    INTEGER NOT NULL DEFAULT 0,
    pulled_at     TEXT NOT NULL
);
CREATE INDEX sync_applications_id_number ON sync_applications (id_number);
CREATE INDEX sync_applications_permit ON sync_applications (permit_number);

-- +goose Down
DROP TABLE sync_applications;
