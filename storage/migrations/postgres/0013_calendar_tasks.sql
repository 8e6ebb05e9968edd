-- Calendar events (with attendees and their RSVP) and tasks (with assignees,
-- comments, an activity log and per-app status lists). Times are UTC
-- milliseconds; an event also keeps its wall-clock start and end in its IANA
-- time zone, which is what recurrence expands from.
CREATE TABLE cal_events (
    app_id            TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    owner_id          TEXT NOT NULL,
    conversation_id   TEXT,
    title             TEXT NOT NULL,
    description       TEXT,
    location          TEXT,
    time_zone         TEXT NOT NULL,
    all_day           BIGINT NOT NULL DEFAULT 0,
    start_local       TEXT NOT NULL,
    end_local         TEXT NOT NULL,
    start_ms          BIGINT NOT NULL,
    end_ms            BIGINT NOT NULL,
    -- End of the last occurrence; the largest integer for an endless series.
    series_end_ms     BIGINT NOT NULL,
    rrule             TEXT,
    exdates           TEXT NOT NULL DEFAULT '[]',
    reminders         TEXT NOT NULL DEFAULT '[]',
    -- Largest reminder in minutes, -1 without reminders (for the due-reminder scan).
    max_reminder_min  BIGINT NOT NULL DEFAULT -1,
    is_call           BIGINT NOT NULL DEFAULT 0,
    ical_uid          TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX cal_events_by_conversation ON cal_events (app_id, conversation_id, start_ms);
CREATE INDEX cal_events_by_created ON cal_events (app_id, created_at);
CREATE INDEX cal_events_reminders ON cal_events (start_ms) WHERE max_reminder_min >= 0;

-- Everyone invited, the organizer included (organizer = 1).
CREATE TABLE cal_attendees (
    app_id      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    rsvp        TEXT NOT NULL,
    organizer   BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, event_id, user_id),
    FOREIGN KEY (app_id, event_id) REFERENCES cal_events (app_id, id) ON DELETE CASCADE
);
CREATE INDEX cal_attendees_by_user ON cal_attendees (app_id, user_id);

CREATE TABLE tasks (
    app_id           TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    creator_id       TEXT NOT NULL,
    conversation_id  TEXT,
    message_id       TEXT,
    title            TEXT NOT NULL,
    description      TEXT,
    status           TEXT NOT NULL,
    priority         TEXT NOT NULL,
    due_ms           BIGINT,
    position         DOUBLE PRECISION NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX tasks_by_conversation ON tasks (app_id, conversation_id, status, position);
CREATE INDEX tasks_by_creator ON tasks (app_id, creator_id, created_at);
CREATE INDEX tasks_by_due ON tasks (due_ms) WHERE due_ms IS NOT NULL;

CREATE TABLE task_assignees (
    app_id   TEXT NOT NULL,
    task_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (app_id, task_id, user_id),
    FOREIGN KEY (app_id, task_id) REFERENCES tasks (app_id, id) ON DELETE CASCADE
);
CREATE INDEX task_assignees_by_user ON task_assignees (app_id, user_id);

CREATE TABLE task_comments (
    app_id      TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, task_id, id),
    FOREIGN KEY (app_id, task_id) REFERENCES tasks (app_id, id) ON DELETE CASCADE
);

-- Who changed what: one row per change, with the old and new values as JSON.
CREATE TABLE task_activity (
    app_id      TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, task_id, id),
    FOREIGN KEY (app_id, task_id) REFERENCES tasks (app_id, id) ON DELETE CASCADE
);

-- An app's own status list (JSON array of strings); without a row the list is
-- todo, doing, done.
CREATE TABLE task_statuses (
    app_id    TEXT NOT NULL PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    statuses  TEXT NOT NULL
);
