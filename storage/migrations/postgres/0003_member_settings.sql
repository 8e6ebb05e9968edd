-- Per-member conversation settings.
ALTER TABLE members ADD COLUMN muted_until BIGINT;
ALTER TABLE members ADD COLUMN archived BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN pinned BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_activity ON conversations (app_id, last_message_at);
