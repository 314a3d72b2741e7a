-- +goose Up
-- stock_lots are boxes of blank permit cards received at the station.
CREATE TABLE stock_lots (
    id          INTEGER PRIMARY KEY,
    lot_number  TEXT NOT NULL UNIQUE,
    received    INTEGER NOT NULL CHECK (received > 0),
    received_at TEXT NOT NULL,
    received_by INTEGER REFERENCES operators (id)
);

-- stock_movements change a lot's count: receive (+n), take (-1, one card fed
-- into the printer) and adjust (a counted correction, with a reason).
CREATE TABLE stock_movements (
    id          INTEGER PRIMARY KEY,
    lot_id      INTEGER NOT NULL REFERENCES stock_lots (id),
    kind        TEXT NOT NULL CHECK (kind IN ('receive', 'take', 'adjust')),
    quantity    INTEGER NOT NULL,
    card_id     INTEGER,
    reason      TEXT NOT NULL DEFAULT '',
    operator_id INTEGER REFERENCES operators (id),
    at          TEXT NOT NULL,
    CHECK (kind <> 'take' OR (quantity = -1 AND card_id IS NOT NULL))
);
-- A card leaves stock exactly once.
CREATE UNIQUE INDEX stock_movements_card ON stock_movements (card_id) WHERE card_id IS NOT NULL;

-- +goose Down
DROP TABLE stock_movements;
DROP TABLE stock_lots;
