-- +goose Up
-- rewrite_jobs are address changes on issued permit cards. The job stores the
-- old and new address and the chip's commit sequence before the change, so an
-- interrupted chip write can be finished or rolled back on the same card.
-- state follows app/rewrite; attention_from and attention say what is known
-- when the job needs a technician's decision.
CREATE TABLE rewrite_jobs (
    id             INTEGER PRIMARY KEY,
    card_serial    TEXT NOT NULL,
    permit_number  TEXT NOT NULL,
    application_id TEXT NOT NULL,
    holder_name    TEXT NOT NULL,
    old_address    TEXT NOT NULL,
    new_address    TEXT NOT NULL,
    old_sequence   INTEGER NOT NULL CHECK (old_sequence BETWEEN 1 AND 65534),
    new_sequence   INTEGER,
    state          TEXT NOT NULL CHECK (state IN (
        'chip_writing', 'chip_updated', 'strip_printing', 'done', 'needs_attention', 'rolled_back')),
    attention_from TEXT NOT NULL DEFAULT '',
    attention      TEXT NOT NULL DEFAULT '',
    lookup_online  INTEGER NOT NULL CHECK (lookup_online IN (0, 1)),
    outbox_key     TEXT NOT NULL DEFAULT '',
    strip_prints   INTEGER NOT NULL DEFAULT 0,
    created_by     INTEGER REFERENCES operators (id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK (state NOT IN ('chip_updated', 'strip_printing', 'done') OR new_sequence IS NOT NULL),
    CHECK (state <> 'needs_attention' OR (attention_from <> '' AND attention <> ''))
);
-- A card has at most one address change that is not finished.
CREATE UNIQUE INDEX rewrite_jobs_open_card ON rewrite_jobs (card_serial)
    WHERE state NOT IN ('done', 'rolled_back');
CREATE INDEX rewrite_jobs_state ON rewrite_jobs (state);

-- rewrite_events is the history of every transition of a rewrite job.
CREATE TABLE rewrite_events (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES rewrite_jobs (id),
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX rewrite_events_job ON rewrite_events (job_id, id);

-- +goose Down
DROP TABLE rewrite_events;
DROP TABLE rewrite_jobs;
