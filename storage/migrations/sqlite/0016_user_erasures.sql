-- When each erased user was erased: tokens issued to them before then are
-- refused (the directory holds this table in memory). A user made again
-- later gets new tokens, which are issued after the erasure.
CREATE TABLE user_erasures (
    app_id    TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    erased_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
