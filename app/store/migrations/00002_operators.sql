-- +goose Up
-- operators are the people who log in at the workstation. password_hash is an
-- argon2id PHC string; locked_until is set after repeated failed logins.
CREATE TABLE operators (
    id              INTEGER PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 64),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('clerk', 'technician', 'supervisor')),
    password_hash   TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- sessions are logins; a session ends by logout or by idling past the
-- session timeout.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id),
    started_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at     TEXT,
    end_reason   TEXT NOT NULL DEFAULT ''
);

-- approvals are supervisor sign-offs for one action (void, reprint) inside
-- one session. Each is used at most once.
CREATE TABLE approvals (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    supervisor_id INTEGER NOT NULL REFERENCES operators (id),
    action        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    used_at       TEXT
);

-- +goose Down
DROP TABLE approvals;
DROP TABLE sessions;
DROP TABLE operators;
