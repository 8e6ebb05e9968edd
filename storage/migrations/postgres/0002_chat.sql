-- Per-app counter of persistent events. Incrementing it inside a write
-- transaction serialises an app's event-producing writes, so event ids are dense
-- and commit in id order: a reader that has seen id N has every id below N.
CREATE TABLE app_counters (
    app_id     TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    last_event BIGINT NOT NULL
);

CREATE TABLE conversations (
    app_id          TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    direct_key      TEXT,
    name            TEXT,
    avatar_url      TEXT,
    description     TEXT,
    custom          TEXT NOT NULL DEFAULT '{}',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_seq        BIGINT NOT NULL DEFAULT 0,
    last_message_at BIGINT,
    PRIMARY KEY (app_id, id)
);
-- Exactly one direct conversation per pair of users.
CREATE UNIQUE INDEX conversations_direct ON conversations (app_id, direct_key);

CREATE TABLE members (
    app_id          TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL,
    joined_at       BIGINT NOT NULL,
    last_read_seq   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, conversation_id, user_id),
    FOREIGN KEY (app_id, conversation_id) REFERENCES conversations (app_id, id) ON DELETE CASCADE
);
CREATE INDEX members_by_user ON members (app_id, user_id);

CREATE TABLE messages (
    app_id          TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    id              TEXT NOT NULL,
    sender_id       TEXT NOT NULL,
    client_msg_id   TEXT,
    text            TEXT NOT NULL,
    payload         TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (app_id, conversation_id, seq),
    FOREIGN KEY (app_id, conversation_id) REFERENCES conversations (app_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX messages_id ON messages (app_id, id);
-- A retried send with the same client id finds the original.
CREATE UNIQUE INDEX messages_client_id ON messages (app_id, conversation_id, sender_id, client_msg_id);

-- Persistent events, replayed to a reconnecting client after its cursor.
-- conversation_id: delivered to the conversation's members; target_user: to one user.
CREATE TABLE events (
    app_id          TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id              BIGINT NOT NULL,
    conversation_id TEXT,
    target_user     TEXT,
    kind            TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX events_by_conversation ON events (app_id, conversation_id, id);
CREATE INDEX events_by_target ON events (app_id, target_user, id);
