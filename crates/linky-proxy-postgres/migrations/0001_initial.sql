-- linky-proxy on PostgreSQL: the SQLite backend's tables (0001 and 0002 there), in PostgreSQL's
-- types. Secrets are stored as SHA-256 hashes; times as Unix seconds, as in SQLite, so both
-- backends keep the same values.
CREATE TABLE families (
    id BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    consent_expires_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE grants (
    id BIGSERIAL PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval_seconds BIGINT NOT NULL,
    last_poll_at BIGINT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'denied', 'consumed')),
    consent_expires_at BIGINT,
    family_id BIGINT REFERENCES families(id),
    client_address TEXT
);
CREATE INDEX grants_user_code ON grants(user_code, expires_at);

-- `seq` keeps the order meters were consented in.
CREATE TABLE grant_meters (
    grant_id BIGINT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    pdl TEXT NOT NULL,
    seq BIGSERIAL,
    PRIMARY KEY (grant_id, pdl)
);

-- Single-use `state` values sent to the Enedis consent page.
CREATE TABLE states (
    state_hash TEXT PRIMARY KEY,
    grant_id BIGINT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Every Enedis autorisation_id ever claimed or bound: a second use is a replay.
CREATE TABLE autorisations (
    autorisation_id BIGINT PRIMARY KEY,
    grant_id BIGINT NOT NULL,
    bound_at BIGINT NOT NULL
);

CREATE TABLE family_meters (
    family_id BIGINT NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    pdl TEXT NOT NULL,
    seq BIGSERIAL,
    PRIMARY KEY (family_id, pdl)
);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    family_id BIGINT NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- For refresh tokens: when a newer one replaced it, which one, and whether its one grace
    -- reuse was spent.
    replaced_at BIGINT,
    replaced_by TEXT,
    grace_used BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX tokens_family ON tokens(family_id);

-- Failed user-code guesses, per client address.
CREATE TABLE guesses (
    id BIGSERIAL PRIMARY KEY,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX guesses_client ON guesses(client, at);
