-- Full-text search over message text (tsvector with the language-neutral `simple` configuration).
CREATE INDEX messages_text_search ON messages USING GIN (to_tsvector('simple', text));
