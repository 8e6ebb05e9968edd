-- Uploaded files; the bytes live in the blob store under `<app_id>/<file_id>`.
CREATE TABLE files (
    app_id       TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    uploader_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    width        BIGINT,
    height       BIGINT,
    has_thumbnail BIGINT NOT NULL DEFAULT 0,
    public       BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
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
