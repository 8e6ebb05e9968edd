-- Collaborative documents (whiteboards and rich-text docs): metadata, the
-- compacted state, the update log since, roles and named versions.
CREATE TABLE docs (
    app_id            TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    owner_id          TEXT NOT NULL,
    conversation_id   TEXT,
    snapshot          BYTEA,
    snapshot_seq      BIGINT NOT NULL DEFAULT 0,
    update_seq        BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX docs_by_owner ON docs (app_id, owner_id, created_at);
CREATE INDEX docs_by_conversation ON docs (app_id, conversation_id, created_at);

CREATE TABLE doc_updates (
    app_id  TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (app_id, doc_id, seq),
    FOREIGN KEY (app_id, doc_id) REFERENCES docs (app_id, id) ON DELETE CASCADE
);

CREATE TABLE doc_roles (
    app_id   TEXT NOT NULL,
    doc_id   TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (app_id, doc_id, user_id),
    FOREIGN KEY (app_id, doc_id) REFERENCES docs (app_id, id) ON DELETE CASCADE
);
CREATE INDEX doc_roles_by_user ON doc_roles (app_id, user_id);

CREATE TABLE doc_versions (
    app_id      TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    state       BYTEA NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, doc_id, id),
    FOREIGN KEY (app_id, doc_id) REFERENCES docs (app_id, id) ON DELETE CASCADE
);
