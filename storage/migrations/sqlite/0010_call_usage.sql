-- Call metering: participant time per app and UTC day, audio-only and video apart.
CREATE TABLE call_usage (
    app_id       TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    audio_ms     INTEGER NOT NULL DEFAULT 0,
    video_ms     INTEGER NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, day)
);
