-- +goose Up
-- jobs are issuance jobs: one application turned into one card. state follows
-- the workflow in app/issuance; attention_from and attention hold the state a
-- job was in and what is known when it needs an operator's decision.
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    application_id TEXT NOT NULL,
    permit_number  TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('issue', 'reprint')),
    state          TEXT NOT NULL CHECK (state IN (
        'queued', 'card_fed', 'encoding', 'encoded', 'verified', 'printing', 'printed',
        'ejected', 'awaiting_handover', 'issued', 'spoiled', 'needs_attention', 'voided')),
    printer        TEXT NOT NULL,
    permit         TEXT NOT NULL,
    card_id        INTEGER,
    attempt        INTEGER NOT NULL DEFAULT 1,
    claimed_by     TEXT,
    attention_from TEXT NOT NULL DEFAULT '',
    attention      TEXT NOT NULL DEFAULT '',
    created_by     INTEGER REFERENCES operators (id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
-- An application has at most one job that is not finished.
CREATE UNIQUE INDEX jobs_open_application ON jobs (application_id)
    WHERE state NOT IN ('issued', 'voided');
-- A printer works on at most one job at a time.
CREATE UNIQUE INDEX jobs_printer_busy ON jobs (printer)
    WHERE state IN ('card_fed', 'encoding', 'encoded', 'verified', 'printing', 'printed', 'ejected');
CREATE INDEX jobs_state ON jobs (state, printer);

-- job_events is the history of every transition.
CREATE TABLE job_events (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs (id),
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    card_id     INTEGER,
    operator_id INTEGER REFERENCES operators (id),
    detail      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX job_events_job ON job_events (job_id, id);

-- cards are physical cards taken from stock. serial is the chip serial, known
-- once the chip is written. A card is issued only with a verified chip and a
-- confirmed print.
CREATE TABLE cards (
    id            INTEGER PRIMARY KEY,
    job_id        INTEGER NOT NULL REFERENCES jobs (id),
    lot_id        INTEGER NOT NULL REFERENCES stock_lots (id),
    serial        TEXT UNIQUE,
    permit_number TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN (
        'fed', 'encoding', 'encoded', 'verified', 'printing', 'printed', 'ejected',
        'issued', 'spoiled', 'voided')),
    reason        TEXT NOT NULL DEFAULT '',
    print_count   INTEGER,
    verified_at   TEXT,
    printed_at    TEXT,
    issued_at     TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK (state NOT IN ('verified', 'printing', 'printed', 'ejected', 'issued')
        OR (verified_at IS NOT NULL AND serial IS NOT NULL)),
    CHECK (state NOT IN ('printed', 'ejected', 'issued') OR printed_at IS NOT NULL),
    CHECK (state <> 'issued' OR issued_at IS NOT NULL),
    CHECK (state NOT IN ('spoiled', 'voided') OR reason <> '')
);
-- A permit is bound to at most one card that is not spoiled or voided.
CREATE UNIQUE INDEX cards_valid_permit ON cards (permit_number)
    WHERE state NOT IN ('spoiled', 'voided');
CREATE INDEX cards_job ON cards (job_id);

-- +goose Down
DROP TABLE cards;
DROP TABLE job_events;
DROP TABLE jobs;
