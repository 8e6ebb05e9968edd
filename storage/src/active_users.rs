//! Monthly active users: who counts as active, and the admission of a new user
//! against a hard quota, one transaction serialized per app.

use crate::usage::check_day;
use crate::{AppScope, BeginWrite, Result, UserId, on_pool};

/// Serializes admissions of new users within one app for the rest of a write
/// transaction: SQLite's `BEGIN IMMEDIATE` already holds the only write lock;
/// PostgreSQL locks the app's row (`NO KEY UPDATE` leaves rows that refer to
/// the app free to be written).
trait LockApp: sqlx::Database {
    async fn lock_app(tx: &mut sqlx::Transaction<'static, Self>, app: &str) -> Result<()>;
}

impl LockApp for sqlx::Sqlite {
    async fn lock_app(_: &mut sqlx::Transaction<'static, Self>, _: &str) -> Result<()> {
        Ok(())
    }
}

impl LockApp for sqlx::Postgres {
    async fn lock_app(tx: &mut sqlx::Transaction<'static, Self>, app: &str) -> Result<()> {
        sqlx::query("SELECT 1 FROM apps WHERE id = $1 FOR NO KEY UPDATE").bind(app).execute(&mut **tx).await?;
        Ok(())
    }
}

/// What [`AppScope::admit_active`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveAdmission {
    /// The user was already active since the start of the period: marked active today.
    Returning,
    /// A new user within the limit: marked active today.
    New,
    /// A new user and the limit is reached: nothing written. Holds the count of active users.
    Full(u64),
}

impl AppScope<'_> {
    /// Marks `user` active on `day` unless they are new since `since` and `limit`
    /// users are already active since then. The check and the mark are one
    /// transaction serialized per app, so two new users racing for the last
    /// place cannot both get it.
    pub async fn admit_active(&self, user: &UserId, since: &str, day: &str, limit: u64) -> Result<ActiveAdmission> {
        check_day(since)?;
        check_day(day)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            LockApp::lock_app(&mut tx, &app).await?;
            let returning: Option<(String,)> =
                sqlx::query_as("SELECT day FROM active_users WHERE app_id = $1 AND user_id = $2 AND day >= $3 LIMIT 1")
                    .bind(&app)
                    .bind(user.as_str())
                    .bind(since)
                    .fetch_optional(&mut *tx)
                    .await?;
            let outcome = if returning.is_some() {
                ActiveAdmission::Returning
            } else {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(DISTINCT user_id) FROM active_users WHERE app_id = $1 AND day >= $2 AND day <= $3",
                )
                .bind(&app)
                .bind(since)
                .bind(day)
                .fetch_one(&mut *tx)
                .await?;
                if n >= limit {
                    tx.rollback().await?;
                    return Ok(ActiveAdmission::Full(u64::try_from(n).unwrap_or(0)));
                }
                ActiveAdmission::New
            };
            sqlx::query(
                "INSERT INTO active_users (app_id, day, user_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (app_id, day, user_id) DO NOTHING",
            )
            .bind(&app)
            .bind(day)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Distinct users active between two days (inclusive).
    pub async fn active_users(&self, from: &str, to: &str) -> Result<i64> {
        check_day(from)?;
        check_day(to)?;
        let (n,): (i64,) = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT COUNT(DISTINCT user_id) FROM active_users WHERE app_id = $1 AND day >= $2 AND day <= $3",
            )
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?
        });
        Ok(n)
    }
}
