/// What can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL `{0}`: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded (e.g. a JSON column).
    #[error("corrupt stored value in {column}: {reason}")]
    Corrupt {
        /// Table and column of the bad value.
        column: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The thing named does not exist in this app (or is not visible to the caller).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `conversation`.
        what: &'static str,
    },
    /// The caller may not do this (e.g. not a member).
    #[error("{0}")]
    Forbidden(String),
    /// One of the users involved blocked the other.
    #[error("one of you blocked the other")]
    Blocked,
    /// The request names something invalid, e.g. a direct conversation with oneself.
    #[error("{message}")]
    Invalid {
        /// Machine-readable code.
        code: &'static str,
        /// For a person.
        message: String,
    },
    /// A filesystem operation (creating the data folder) failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}
