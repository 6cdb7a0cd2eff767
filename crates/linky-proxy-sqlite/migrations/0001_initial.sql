-- Device grants (RFC 8628). Secrets are stored as SHA-256 hashes; times as Unix seconds.
CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    interval_seconds INTEGER NOT NULL,
    last_poll_at INTEGER,
    status TEXT NOT NULL CHECK (status IN ('pending', 'denied', 'consumed')),
    consent_expires_at INTEGER,
    family_id INTEGER REFERENCES families(id)
);
CREATE INDEX grants_user_code ON grants(user_code, expires_at);

CREATE TABLE grant_meters (
    grant_id INTEGER NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    pdl TEXT NOT NULL,
    PRIMARY KEY (grant_id, pdl)
);

-- Single-use `state` values sent to the Enedis consent page.
CREATE TABLE states (
    state_hash TEXT PRIMARY KEY,
    grant_id INTEGER NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

-- Every Enedis autorisation_id ever bound: a second use is a replay.
CREATE TABLE autorisations (
    autorisation_id INTEGER PRIMARY KEY,
    grant_id INTEGER NOT NULL,
    bound_at INTEGER NOT NULL
);

-- A token family: what one device may read, and every token issued to it.
CREATE TABLE families (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    consent_expires_at INTEGER,
    revoked_at INTEGER
);

CREATE TABLE family_meters (
    family_id INTEGER NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    pdl TEXT NOT NULL,
    PRIMARY KEY (family_id, pdl)
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    family_id INTEGER NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- For refresh tokens: when a newer one replaced it, which one, and whether its one grace
    -- reuse was spent.
    replaced_at INTEGER,
    replaced_by TEXT,
    grace_used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_family ON tokens(family_id);

-- Failed user-code guesses, per client address.
CREATE TABLE guesses (
    client TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX guesses_client ON guesses(client, at);
