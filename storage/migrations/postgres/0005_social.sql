-- The social graph within an app.
CREATE TABLE follows (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    follower   TEXT NOT NULL,
    followee   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, follower, followee)
);
CREATE INDEX follows_by_followee ON follows (app_id, followee);

-- Contact requests; an accepted one becomes two rows of `contacts`.
CREATE TABLE contact_requests (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    from_user  TEXT NOT NULL,
    to_user    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, from_user, to_user)
);
CREATE INDEX contact_requests_to ON contact_requests (app_id, to_user);

CREATE TABLE contacts (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id, contact_id)
);

CREATE TABLE blocks (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    blocker    TEXT NOT NULL,
    blocked    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, blocker, blocked)
);
CREATE INDEX blocks_by_blocked ON blocks (app_id, blocked);

CREATE TABLE user_mutes (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    muted_id   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id, muted_id)
);
