-- Objects users make outside chat messages — posts, stories, reels — in one
-- envelope (DESIGN.md "objects"), their likes, threaded comments and views;
-- close-friends lists; in-app notifications with per-channel preferences and
-- web-push subscriptions; webhooks to the client backend and their deliveries.
CREATE TABLE objects (
    app_id          TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    owner_id        TEXT NOT NULL,
    visibility      TEXT NOT NULL,
    conversation_id TEXT,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    like_count      INTEGER NOT NULL DEFAULT 0,
    comment_count   INTEGER NOT NULL DEFAULT 0,
    view_count      INTEGER NOT NULL DEFAULT 0,
    share_count     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX objects_by_time ON objects (app_id, created_at DESC, id DESC);
CREATE INDEX objects_by_kind ON objects (app_id, kind, created_at DESC, id DESC);
CREATE INDEX objects_by_owner ON objects (app_id, owner_id, kind, created_at DESC, id DESC);
CREATE INDEX objects_by_conversation ON objects (app_id, conversation_id, created_at DESC) WHERE conversation_id IS NOT NULL;
CREATE INDEX objects_by_popularity ON objects (app_id, kind, like_count DESC, created_at DESC, id DESC) WHERE visibility = 'public';

CREATE TABLE object_likes (
    app_id     TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, object_id, user_id),
    FOREIGN KEY (app_id, object_id) REFERENCES objects (app_id, id) ON DELETE CASCADE
);

CREATE TABLE object_comments (
    app_id      TEXT NOT NULL,
    id          TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    parent_id   TEXT,
    author_id   TEXT NOT NULL,
    text        TEXT NOT NULL,
    reply_count INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    PRIMARY KEY (app_id, id),
    FOREIGN KEY (app_id, object_id) REFERENCES objects (app_id, id) ON DELETE CASCADE
);
CREATE INDEX object_comments_by_object ON object_comments (app_id, object_id, parent_id, created_at, id);

CREATE TABLE object_views (
    app_id     TEXT NOT NULL,
    object_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, object_id, user_id),
    FOREIGN KEY (app_id, object_id) REFERENCES objects (app_id, id) ON DELETE CASCADE
);

CREATE TABLE close_friends (
    app_id    TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    PRIMARY KEY (app_id, user_id, friend_id)
);

CREATE TABLE notifications (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    category   TEXT NOT NULL,
    actor_id   TEXT,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER,
    emailed_at INTEGER,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX notifications_by_user ON notifications (app_id, user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unemailed ON notifications (created_at) WHERE emailed_at IS NULL AND read_at IS NULL;

CREATE TABLE notification_prefs (
    app_id   TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    category TEXT NOT NULL,
    channel  TEXT NOT NULL,
    enabled  INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id, category, channel)
);

CREATE TABLE push_subscriptions (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, endpoint)
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (app_id, user_id);

CREATE TABLE webhooks (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL,
    active     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
);

CREATE TABLE webhook_deliveries (
    app_id          TEXT NOT NULL,
    id              TEXT NOT NULL,
    webhook_id      TEXT NOT NULL,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    PRIMARY KEY (app_id, id),
    FOREIGN KEY (app_id, webhook_id) REFERENCES webhooks (app_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (app_id, webhook_id, created_at DESC, id DESC);

-- Media of an object: readable by whoever may see the object.
CREATE TABLE object_files (
    app_id    TEXT NOT NULL,
    object_id TEXT NOT NULL,
    file_id   TEXT NOT NULL,
    PRIMARY KEY (app_id, file_id, object_id),
    FOREIGN KEY (app_id, object_id) REFERENCES objects (app_id, id) ON DELETE CASCADE
);

-- How far periodic jobs (reminders) have run: a node takes a window by moving
-- the mark with a compare-and-swap, so each window runs once in a cluster.
CREATE TABLE job_marks (
    name TEXT PRIMARY KEY,
    upto INTEGER NOT NULL
);
