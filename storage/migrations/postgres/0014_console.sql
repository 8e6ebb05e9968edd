-- The client console: developer accounts, teams and their members, invitations,
-- console sessions, which team owns which app, each app's plan, and the audit log.
-- Metering: per app per day counters, active users per day (DAU/MAU), per end user
-- call totals, and monthly invoices.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, account_id)
);
CREATE INDEX team_members_by_account ON team_members (account_id);

CREATE TABLE team_invites (
    token_hash BYTEA PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_by    TEXT,
    used_at    BIGINT
);

CREATE TABLE console_sessions (
    id_hash    BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    team_id    TEXT,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_account ON console_sessions (account_id);

CREATE TABLE app_teams (
    app_id  TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE
);
CREATE INDEX app_teams_by_team ON app_teams (team_id);

CREATE TABLE app_plans (
    app_id     TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    plan       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id      TEXT PRIMARY KEY,
    team_id TEXT,
    app_id  TEXT,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX audit_log_by_team ON audit_log (team_id, at DESC);
CREATE INDEX audit_log_by_app ON audit_log (app_id, at DESC);

CREATE TABLE usage_daily (
    app_id           TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    day              TEXT NOT NULL,
    messages         BIGINT NOT NULL DEFAULT 0,
    sessions         BIGINT NOT NULL DEFAULT 0,
    peak_connections BIGINT NOT NULL DEFAULT 0,
    storage_bytes    BIGINT NOT NULL DEFAULT 0,
    egress_bytes     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, day)
);

CREATE TABLE active_users (
    app_id  TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    day     TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (app_id, day, user_id)
);
CREATE INDEX active_users_by_user ON active_users (app_id, user_id, day);

CREATE TABLE conversation_usage (
    app_id          TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    day             TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    messages        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, day, conversation_id)
);

CREATE TABLE user_stats (
    app_id          TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    messages_sent   BIGINT NOT NULL DEFAULT 0,
    calls_joined    BIGINT NOT NULL DEFAULT 0,
    call_ms         BIGINT NOT NULL DEFAULT 0,
    last_active_at  BIGINT,
    PRIMARY KEY (app_id, user_id)
);

CREATE TABLE invoices (
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    month       TEXT NOT NULL,
    plan        TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, month)
);
