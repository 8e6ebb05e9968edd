-- Uploaded files; the bytes live in the blob store under `<app_id>/<file_id>`.
CREATE TABLE files (
    app_id       TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    uploader_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    width        INTEGER,
    height       INTEGER,
    has_thumbnail INTEGER NOT NULL DEFAULT 0,
    public       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX files_by_uploader ON files (app_id, uploader_id, created_at);

-- Conversations a file was shared in (as a message attachment).
CREATE TABLE file_shares (
    app_id          TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    PRIMARY KEY (app_id, file_id, conversation_id)
);

ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
