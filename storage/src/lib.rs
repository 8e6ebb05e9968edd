//! CAAS storage: repositories over SQLite (embedded, WAL) and PostgreSQL.
//!
//! One interface, [`Store`], with two implementations chosen by the database URL.
//! Each backend has its own migrations (`migrations/sqlite`, `migrations/postgres`),
//! applied at start-up. The SQL is written once where both dialects agree (`$N`
//! placeholders, `ON CONFLICT`, `RETURNING`) and per backend where they differ.
//!
//! Tenant data is reachable only through an [`AppScope`], obtained with
//! [`Store::app`]: every query on it binds the app id, so code without an app id
//! cannot read or write a tenant's rows.

mod active_users;
mod apps;
pub mod blobs;
pub mod calendar;
mod calls;
mod chat;
mod console;
mod docs;
mod error;
mod files;
pub mod ids;
mod keys;
mod notifications;
mod objects;
mod paging;
mod reminders;
mod social;
pub mod tasks;
mod usage;
mod users;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use active_users::ActiveAdmission;
pub use apps::{App, AppSettings, NewApp};
pub use calendar::{
    Attendee, BusyMap, CalEvent, EventInput, EventOccurrence, EventPage, NewEvent, Occurrence, OccurrencePage, Rsvp,
    Schedule, ScheduleError,
};
pub use calls::CallUsageDay;
pub use chat::{
    Conversation, ConversationKind, ConversationSettings, Event, HistoryPage, InboxEntry, InboxFilter, InboxPage,
    LastMessage, Member, MemberChange, Members, Message, MessageChange, NewConversation, NewMessage, Reactions, Role,
};
pub use console::{Account, AuditEntry, ConsoleSession, NewAudit, TeamMember, TeamMembership, TeamRole};
pub use docs::{DocKind, DocMeta, DocPage, DocRole, DocState, DocVersion, NewDoc};
pub use error::StoreError;
pub use files::{Attachment, FileMeta};
pub use ids::{
    AccountId, AppId, CommentId, ConversationId, DeliveryId, DocId, EventId, FileId, IdError, KeyId, MessageId,
    NotificationId, ObjectId, TaskId, TeamId, UserId, VersionId, WebhookId,
};
pub use keys::{NewSigningKey, SigningKey, VerificationKey};
pub use notifications::{CATEGORIES, CHANNELS, DigestDue, Notification, NotificationPage, PushSubscription};
pub use objects::{
    Comment, CommentPage, ExploreSort, NewObject, Object, ObjectFilter, ObjectKind, ObjectPage, ObjectStats, StoryRing,
    Viewer, Visibility,
};
pub use reminders::{DueReminder, ReminderKind};
pub use social::{FoundUser, Graph, Relation};
pub use tasks::{Board, NewTask, Priority, Task, TaskActivity, TaskComment, TaskFilter, TaskPage, TaskPatch};
pub use usage::{ConversationVolume, DayCounters, StoredInvoice, UsageBatch, UsageDay, UsageTotals, UserInsights};
pub use users::{User, UserUpsert};
pub use webhooks::{Delivery, DueDelivery, MAX_ATTEMPTS, Webhook};

/// Result alias of the storage layer.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (the default for one machine).
    Sqlite,
    /// PostgreSQL server (for production and clusters).
    Postgres,
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool the store holds. The body is
/// type-checked once per backend, so it may only use types both drivers support.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;
pub(crate) use paging::time_cursor;
pub use paging::{Listed, Page, cut, time_cursor_of};

/// `$user`'s role in conversation `$conv` of app `$app`, as stored (`None`: not
/// a member), read on `$ex` (a pool, or `&mut *tx`). The one query for it.
macro_rules! member_role {
    ($ex:expr, $app:expr, $conv:expr, $user:expr) => {{
        let row: Option<(String,)> =
            sqlx::query_as("SELECT role FROM members WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3")
                .bind($app)
                .bind($conv.to_string())
                .bind($user.as_str())
                .fetch_optional($ex)
                .await?;
        row.map(|(role,)| role)
    }};
}
pub(crate) use member_role;

/// Fails with `NotFound` (a conversation) unless `$user` is a member of
/// `$conv`: one who is not cannot tell it from one that does not exist.
macro_rules! require_conversation {
    ($ex:expr, $app:expr, $conv:expr, $user:expr) => {{
        if $crate::member_role!($ex, $app, $conv, $user).is_none() {
            return Err($crate::StoreError::NotFound { what: "conversation" });
        }
    }};
}
pub(crate) use require_conversation;

/// Starting a transaction that will write. On SQLite it takes the write lock up
/// front (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits
/// for the lock instead of failing to upgrade; PostgreSQL locks rows as it goes.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.begin().await?)
    }
}

/// Serde helpers: millisecond timestamps as RFC 3339 strings on the wire.
pub(crate) mod ts {
    use serde::Serializer;

    pub fn rfc3339(ms: i64) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
    }

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(*ms))
    }

    pub mod opt {
        use serde::Serializer;
        pub fn serialize<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
            match ms {
                Some(ms) => s.serialize_str(&super::rfc3339(*ms)),
                None => s.serialize_none(),
            }
        }
    }
}

/// Handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Db,
    /// Member lists of conversations, shared by every clone of this store.
    members: std::sync::Arc<chat::recipients::MemberCache>,
}

/// The data of one client app. Every tenant query hangs off this value.
#[derive(Clone, Copy)]
pub struct AppScope<'a> {
    store: &'a Store,
    app_id: AppId,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and applies migrations.
    /// A SQLite file and its folder are created if missing.
    pub async fn connect(url: &str) -> Result<Store> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let file = opts.get_filename();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
                && !is_memory(file)
            {
                std::fs::create_dir_all(dir)?;
            }
            let pool = SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Db::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        Ok(Store { db, members: Default::default() })
    }

    /// Which engine this store uses.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(&self.db, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every pooled connection (for graceful shutdown).
    pub async fn close(&self) {
        on_pool!(&self.db, |pool| pool.close().await)
    }

    /// The data of one app.
    pub fn app(&self, app_id: AppId) -> AppScope<'_> {
        AppScope { store: self, app_id }
    }
}

impl AppScope<'_> {
    /// The app this scope is bound to.
    pub fn app_id(&self) -> AppId {
        self.app_id
    }

    fn db(&self) -> &Db {
        &self.store.db
    }

    fn id(&self) -> String {
        self.app_id.to_string()
    }
}

fn is_memory(path: &Path) -> bool {
    path.as_os_str().is_empty() || path.as_os_str() == ":memory:"
}

/// Milliseconds since the Unix epoch, the timestamp unit of every table.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    // i128 nanoseconds / 1e6 fits i64 for the next ~290 million years.
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A stored column's value parsed into its type; a failure means the row is corrupt.
pub(crate) fn parse_column<T: FromStr>(column: &'static str, v: &str) -> Result<T> {
    v.parse().map_err(|_| StoreError::Corrupt { column, reason: format!("`{v}` does not parse") })
}

pub(crate) fn json_list(column: &'static str, raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt { column, reason: e.to_string() })
}

pub(crate) fn to_json_list(items: &[String]) -> String {
    // Serializing a slice of strings cannot fail.
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> NewSigningKey {
        NewSigningKey { kid: KeyId::generate(), private_der: vec![1; 48], public_key: vec![2; 32] }
    }

    fn new_app(api_key: &str) -> NewApp {
        NewApp {
            name: "a".into(),
            api_key: api_key.into(),
            secret_hash: vec![0; 32],
            allowed_ips: vec!["127.0.0.1/32".into()],
            allowed_origins: vec![],
            signing_key: key(),
        }
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("nested/caas.db").display());
        (dir, Store::connect(&url).await.unwrap())
    }

    #[tokio::test]
    async fn scopes_keep_apps_apart() {
        let (_dir, s) = store().await;
        let a = s.create_app(new_app("ck_a")).await.unwrap();
        let b = s.create_app(new_app("ck_b")).await.unwrap();
        let id: UserId = "u-1".parse().unwrap();
        let up = |name: &str| UserUpsert { id: id.clone(), name: Some(name.into()), avatar_url: None, metadata: None };
        s.app(a.id).upsert_user(&up("in a")).await.unwrap();
        assert!(s.app(b.id).get_user(&id).await.unwrap().is_none());
        assert!(s.app(b.id).delete_user(&id).await.unwrap().is_none());
        s.app(b.id).upsert_user(&up("in b")).await.unwrap();
        assert_eq!(s.app(a.id).get_user(&id).await.unwrap().unwrap().name.as_deref(), Some("in a"));
        assert!(s.app(a.id).delete_user(&id).await.unwrap().is_some());
        assert_eq!(s.app(b.id).get_user(&id).await.unwrap().unwrap().name.as_deref(), Some("in b"));
        assert_eq!(s.app(a.id).get_user(&id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_failed_create_leaves_nothing_behind() {
        let (_dir, s) = store().await;
        s.create_app(new_app("ck_same")).await.unwrap();
        let err = s.create_app(new_app("ck_same")).await.unwrap_err();
        assert!(err.is_unique_violation(), "{err}");
        assert_eq!(s.list_apps().await.unwrap().len(), 1);
        assert_eq!(s.verification_keys().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn rotation_retires_or_revokes() {
        let (_dir, s) = store().await;
        let a = s.create_app(new_app("ck_a")).await.unwrap();
        let first = s.app(a.id).active_signing_key().await.unwrap().unwrap().kid;
        let second = key();
        s.app(a.id).rotate_signing_key(&second, false).await.unwrap();
        assert_eq!(s.app(a.id).active_signing_key().await.unwrap().unwrap().kid, second.kid);
        let kids: Vec<KeyId> = s.verification_keys().await.unwrap().into_iter().map(|k| k.kid).collect();
        assert!(kids.contains(&first) && kids.contains(&second.kid));
        let third = key();
        s.app(a.id).rotate_signing_key(&third, true).await.unwrap();
        let kids: Vec<KeyId> = s.verification_keys().await.unwrap().into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, vec![third.kid]);
    }

    #[tokio::test]
    async fn unsupported_urls_are_refused() {
        assert!(matches!(Store::connect("mysql://x").await, Err(StoreError::UnsupportedUrl(_))));
    }
}
