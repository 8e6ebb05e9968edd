-- Console password reset links: the SHA-256 of the token, one live link per account.
CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX password_resets_by_account ON password_resets (account_id);
