-- Client apps (tenants). Operator-level data: not scoped by an app.
CREATE TABLE apps (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    api_key         TEXT NOT NULL UNIQUE,
    secret_hash     BYTEA NOT NULL,
    allowed_ips     TEXT NOT NULL DEFAULT '[]',
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Per-app Ed25519 keys that sign end-user session tokens.
CREATE TABLE app_signing_keys (
    kid         TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    private_der BYTEA NOT NULL,
    public_key  BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX app_signing_keys_app ON app_signing_keys (app_id, created_at);

-- End users of an app, keyed by the id the client app gave them.
CREATE TABLE users (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT,
    avatar_url TEXT,
    metadata   TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
