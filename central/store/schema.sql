-- Schema of the reference central system. Every change that a station pulls
-- gets the next value of the single sequence in seq, so one cursor orders
-- applications, revocations, house-register entries and records alike.
CREATE TABLE IF NOT EXISTS seq (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO seq (id, value) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS applications (
    id            TEXT PRIMARY KEY,
    station_id    TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'issued', 'cancelled', 'revoked')),
    seq           INTEGER NOT NULL DEFAULT 0,
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
    permit_number TEXT UNIQUE,
    authority     TEXT NOT NULL,
    approved_at   TEXT,
    valid_from    TEXT,
    valid_to      TEXT,
    photo         BLOB,
    -- The issuance seal: key ID and Ed25519 signature over the card data
    -- that approval fixes (permitcard.SealMessage); NULL until sealed.
    seal_key_id   TEXT,
    seal_signature BLOB
);
CREATE INDEX IF NOT EXISTS applications_feed ON applications (station_id, seq);

CREATE TABLE IF NOT EXISTS revocations (
    seq            INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('revoked', 'cancelled')),
    application_id TEXT NOT NULL REFERENCES applications (id),
    permit_number  TEXT NOT NULL,
    reason         TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revocations_permit ON revocations (permit_number);

CREATE TABLE IF NOT EXISTS house_codes (
    code      TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL,
    district  TEXT NOT NULL,
    street    TEXT NOT NULL,
    community TEXT NOT NULL,
    detail    TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('active', 'retired'))
);
CREATE INDEX IF NOT EXISTS house_codes_feed ON house_codes (seq);

-- records contains every accepted record a station pushed, once per
-- idempotency key. digest is a hash of the record's content, so a reused key
-- with different content is distinguished from a retry.
CREATE TABLE IF NOT EXISTS records (
    seq             INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    digest          TEXT NOT NULL,
    station_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    application_id  TEXT NOT NULL,
    permit_number   TEXT NOT NULL,
    card_serial     TEXT NOT NULL,
    station_time    TEXT NOT NULL,
    clock_skew_ms   INTEGER,
    reason          TEXT NOT NULL DEFAULT '',
    address         TEXT,
    received_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_card ON records (card_serial);

-- cards binds each card serial to the permit it carries. The partial unique
-- index keeps a permit from being bound to two valid cards.
CREATE TABLE IF NOT EXISTS cards (
    card_serial    TEXT PRIMARY KEY,
    permit_number  TEXT NOT NULL,
    application_id TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('issued', 'voided')),
    issued_seq     INTEGER NOT NULL,
    house_code     TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cards_one_valid ON cards (permit_number) WHERE state = 'issued';
