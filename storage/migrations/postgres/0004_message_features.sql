-- Replies, threads, mentions, edits, deletes, pins and reactions.
ALTER TABLE messages ADD COLUMN reply_to TEXT;
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
ALTER TABLE messages ADD COLUMN pinned_at BIGINT;
ALTER TABLE messages ADD COLUMN pinned_by TEXT;
CREATE INDEX messages_thread ON messages (app_id, conversation_id, parent_id, seq);

-- Earlier texts of edited messages.
CREATE TABLE message_edits (
    app_id     TEXT NOT NULL,
    message_id TEXT NOT NULL,
    text       TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX message_edits_by_message ON message_edits (app_id, message_id, replaced_at);

CREATE TABLE reactions (
    app_id          TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    message_id      TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (app_id, message_id, user_id, kind)
);
CREATE INDEX reactions_by_seq ON reactions (app_id, conversation_id, seq);
