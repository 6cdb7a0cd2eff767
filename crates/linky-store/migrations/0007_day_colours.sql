-- Tempo colours and EJP signals as EDF or RTE published them, one row per calendar and day,
-- and when each calendar was last asked (in `state`).
CREATE TABLE day_colours (
    calendar TEXT NOT NULL CHECK (calendar IN ('tempo', 'ejp')),
    day TEXT NOT NULL,
    colour TEXT NOT NULL,
    PRIMARY KEY (calendar, day)
) WITHOUT ROWID;
