//! Metering: per app per UTC day counters, active users (DAU/MAU), message volume
//! per conversation, per end-user totals, and stored monthly invoices.
//!
//! The server counts in memory and hands a [`UsageBatch`] to [`Store::flush_usage`]
//! every few seconds, so hot paths never wait on these tables.

use serde::Serialize;

use crate::{AppId, AppScope, BeginWrite, Result, Store, StoreError, UserId, now_ms, on_pool, parse_column};

/// Counters of one app for one day, added by a flush.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounters {
    /// Messages sent.
    pub messages: i64,
    /// Session tokens issued.
    pub sessions: i64,
    /// Most connections open at once on this node (kept as a maximum).
    pub peak_connections: i64,
    /// Bytes served to clients (file downloads and real-time frames).
    pub egress_bytes: i64,
}

/// One flush of in-memory meters.
#[derive(Debug, Clone, Default)]
pub struct UsageBatch {
    /// Day counters per app and UTC day (`YYYY-MM-DD`).
    pub days: Vec<(AppId, String, DayCounters)>,
    /// Users active on a day (first seen since the last flush).
    pub active: Vec<(AppId, String, UserId)>,
    /// Messages per conversation and day.
    pub conversations: Vec<(AppId, String, String, i64)>,
    /// Per end user: messages sent, and the last time they were active (ms).
    pub users: Vec<(AppId, UserId, i64, i64)>,
}

impl UsageBatch {
    /// Splits into batches of at most `max_rows` rows, so that each write
    /// transaction is short (on SQLite, other writers wait for it).
    pub fn split(mut self, max_rows: usize) -> Vec<UsageBatch> {
        let max_rows = max_rows.max(1);
        let mut out = Vec::new();
        while !self.is_empty() {
            let mut part = UsageBatch::default();
            let mut room = max_rows;
            part.days = take_rows(&mut self.days, &mut room);
            part.active = take_rows(&mut self.active, &mut room);
            part.conversations = take_rows(&mut self.conversations, &mut room);
            part.users = take_rows(&mut self.users, &mut room);
            out.push(part);
        }
        out
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.active.is_empty() && self.conversations.is_empty() && self.users.is_empty()
    }
}

/// One day of an app's usage, as shown in charts and the admin API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UsageDay {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Messages sent.
    pub messages: i64,
    /// Session tokens issued.
    pub sessions: i64,
    /// Distinct active users.
    pub dau: i64,
    /// Most connections open at once.
    pub peak_connections: i64,
    /// Participant milliseconds with audio only.
    pub audio_ms: i64,
    /// Participant milliseconds with video.
    pub video_ms: i64,
    /// Bytes stored in files at the last sample that day.
    pub storage_bytes: i64,
    /// Bytes served to clients.
    pub egress_bytes: i64,
}

/// Totals of a range of days (a month, for invoices).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UsageTotals {
    /// Distinct users active in the range.
    pub mau: i64,
    /// Messages sent.
    pub messages: i64,
    /// Session tokens issued.
    pub sessions: i64,
    /// Highest daily peak of concurrent connections.
    pub peak_connections: i64,
    /// Participant milliseconds with audio only.
    pub audio_ms: i64,
    /// Participant milliseconds with video.
    pub video_ms: i64,
    /// Highest storage sample.
    pub storage_bytes: i64,
    /// Bytes served.
    pub egress_bytes: i64,
}

impl UsageTotals {
    /// The totals of `days` (sums; the highest peak and storage sample), with the
    /// range's distinct active users `mau` (not derivable from daily counts).
    pub fn of(days: &[UsageDay], mau: i64) -> UsageTotals {
        let mut t = UsageTotals { mau, ..Default::default() };
        for d in days {
            t.messages += d.messages;
            t.sessions += d.sessions;
            t.peak_connections = t.peak_connections.max(d.peak_connections);
            t.audio_ms += d.audio_ms;
            t.video_ms += d.video_ms;
            t.storage_bytes = t.storage_bytes.max(d.storage_bytes);
            t.egress_bytes += d.egress_bytes;
        }
        t
    }
}

/// A conversation and how many messages it carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationVolume {
    /// The conversation.
    pub conversation_id: String,
    /// Its name (groups), if any.
    pub name: Option<String>,
    /// Messages in the range.
    pub messages: i64,
}

/// What the client backend may learn about one end user's activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserInsights {
    /// Last request or connection (ms), as metered.
    pub last_active_at: Option<i64>,
    /// Last time a real-time connection closed (ms).
    pub last_seen_at: Option<i64>,
    /// Messages sent, ever.
    pub messages_sent: i64,
    /// Calls joined, ever.
    pub calls_joined: i64,
    /// Time spent in calls, ms.
    pub call_ms: i64,
    /// Days active in the last 30.
    pub active_days_30: i64,
}

/// An invoice as stored: its computed body is JSON.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredInvoice {
    /// `YYYY-MM`.
    pub month: String,
    /// The plan it was computed with.
    pub plan: String,
    /// Total in cents.
    pub total_cents: i64,
    /// The computed invoice, JSON.
    pub body: String,
    /// When it was issued, ms.
    pub created_at: i64,
}

/// Whether `day` is `YYYY-MM-DD`.
pub(crate) fn check_day(day: &str) -> Result<()> {
    let b = day.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    match ok {
        true => Ok(()),
        false => Err(StoreError::Invalid { code: "invalid_day", message: format!("`{day}` is not YYYY-MM-DD") }),
    }
}

fn take_rows<T>(from: &mut Vec<T>, room: &mut usize) -> Vec<T> {
    let n = from.len().min(*room);
    *room -= n;
    from.drain(..n).collect()
}

fn day_entry(days: &mut std::collections::BTreeMap<String, UsageDay>, day: String) -> &mut UsageDay {
    days.entry(day.clone()).or_insert_with(|| UsageDay { day, ..Default::default() })
}

impl Store {
    /// Adds a batch of meters in one transaction.
    pub async fn flush_usage(&self, batch: &UsageBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            for (app, day, c) in &batch.days {
                sqlx::query(
                    "INSERT INTO usage_daily (app_id, day, messages, sessions, peak_connections, egress_bytes) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, day) DO UPDATE SET \
                     messages = usage_daily.messages + excluded.messages, \
                     sessions = usage_daily.sessions + excluded.sessions, \
                     peak_connections = CASE WHEN excluded.peak_connections > usage_daily.peak_connections \
                        THEN excluded.peak_connections ELSE usage_daily.peak_connections END, \
                     egress_bytes = usage_daily.egress_bytes + excluded.egress_bytes",
                )
                .bind(app.to_string())
                .bind(day)
                .bind(c.messages)
                .bind(c.sessions)
                .bind(c.peak_connections)
                .bind(c.egress_bytes)
                .execute(&mut *tx)
                .await?;
            }
            for (app, day, user) in &batch.active {
                sqlx::query(
                    "INSERT INTO active_users (app_id, day, user_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (app_id, day, user_id) DO NOTHING",
                )
                .bind(app.to_string())
                .bind(day)
                .bind(user.as_str())
                .execute(&mut *tx)
                .await?;
            }
            for (app, day, conversation, n) in &batch.conversations {
                sqlx::query(
                    "INSERT INTO conversation_usage (app_id, day, conversation_id, messages) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (app_id, day, conversation_id) DO UPDATE SET \
                     messages = conversation_usage.messages + excluded.messages",
                )
                .bind(app.to_string())
                .bind(day)
                .bind(conversation)
                .bind(n)
                .execute(&mut *tx)
                .await?;
            }
            for (app, user, messages, at) in &batch.users {
                sqlx::query(
                    "INSERT INTO user_stats (app_id, user_id, messages_sent, last_active_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (app_id, user_id) DO UPDATE SET \
                     messages_sent = user_stats.messages_sent + excluded.messages_sent, \
                     last_active_at = CASE WHEN user_stats.last_active_at IS NULL \
                        OR excluded.last_active_at > user_stats.last_active_at \
                        THEN excluded.last_active_at ELSE user_stats.last_active_at END",
                )
                .bind(app.to_string())
                .bind(user.as_str())
                .bind(messages)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records every app's stored file bytes as `day`'s storage sample.
    pub async fn sample_storage(&self, day: &str) -> Result<()> {
        check_day(day)?;
        on_pool!(&self.db, |pool| {
            // `WHERE true` lets SQLite parse an upsert whose rows come from a SELECT.
            sqlx::query(
                "INSERT INTO usage_daily (app_id, day, storage_bytes) \
                 SELECT app_id, $1, SUM(size) FROM files WHERE true GROUP BY app_id \
                 ON CONFLICT (app_id, day) DO UPDATE SET storage_bytes = excluded.storage_bytes",
            )
            .bind(day)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Apps with any metered usage between two days (inclusive).
    pub async fn apps_with_usage(&self, from: &str, to: &str) -> Result<Vec<AppId>> {
        check_day(from)?;
        check_day(to)?;
        let rows: Vec<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT app_id FROM usage_daily WHERE day >= $1 AND day <= $2 \
                 UNION SELECT app_id FROM call_usage WHERE day >= $1 AND day <= $2 \
                 UNION SELECT app_id FROM active_users WHERE day >= $1 AND day <= $2",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(|(id,)| parse_column("usage_daily.app_id", &id)).collect()
    }
}

impl AppScope<'_> {
    /// Usage per day between two days (inclusive), oldest first; days without any usage are left out.
    pub async fn usage_days(&self, from: &str, to: &str) -> Result<Vec<UsageDay>> {
        check_day(from)?;
        check_day(to)?;
        type Counters = (String, i64, i64, i64, i64, i64);
        type Dau = (String, i64);
        type Calls = (String, i64, i64);
        let (counters, dau, calls): (Vec<Counters>, Vec<Dau>, Vec<Calls>) = on_pool!(self.db(), |pool| {
            let counters = sqlx::query_as(
                "SELECT day, messages, sessions, peak_connections, storage_bytes, egress_bytes FROM usage_daily \
                     WHERE app_id = $1 AND day >= $2 AND day <= $3",
            )
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            let dau = sqlx::query_as(
                "SELECT day, COUNT(*) FROM active_users WHERE app_id = $1 AND day >= $2 AND day <= $3 GROUP BY day",
            )
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            let calls = sqlx::query_as(
                "SELECT day, audio_ms, video_ms FROM call_usage WHERE app_id = $1 AND day >= $2 AND day <= $3",
            )
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            (counters, dau, calls)
        });
        let mut days: std::collections::BTreeMap<String, UsageDay> = Default::default();
        for (day, messages, sessions, peak, storage, egress) in counters {
            let d = day_entry(&mut days, day);
            (d.messages, d.sessions, d.peak_connections, d.storage_bytes, d.egress_bytes) =
                (messages, sessions, peak, storage, egress);
        }
        for (day, n) in dau {
            day_entry(&mut days, day).dau = n;
        }
        for (day, audio, video) in calls {
            let d = day_entry(&mut days, day);
            (d.audio_ms, d.video_ms) = (audio, video);
        }
        Ok(days.into_values().collect())
    }

    /// Totals between two days (inclusive): sums, the highest peaks and the distinct active users.
    pub async fn usage_totals(&self, from: &str, to: &str) -> Result<UsageTotals> {
        let days = self.usage_days(from, to).await?;
        Ok(UsageTotals::of(&days, self.active_users(from, to).await?))
    }

    /// The busiest conversations between two days, by messages.
    pub async fn top_conversations(&self, from: &str, to: &str, limit: i64) -> Result<Vec<ConversationVolume>> {
        check_day(from)?;
        check_day(to)?;
        let rows: Vec<(String, Option<String>, i64)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT u.conversation_id, c.name, CAST(SUM(u.messages) AS BIGINT) AS n FROM conversation_usage u \
                 LEFT JOIN conversations c ON c.app_id = u.app_id AND c.id = u.conversation_id \
                 WHERE u.app_id = $1 AND u.day >= $2 AND u.day <= $3 \
                 GROUP BY u.conversation_id, c.name ORDER BY n DESC, u.conversation_id LIMIT $4",
            )
            .bind(self.id())
            .bind(from)
            .bind(to)
            .bind(limit.clamp(1, 100))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(conversation_id, name, messages)| ConversationVolume { conversation_id, name, messages })
            .collect())
    }

    /// Counts one call a user took part in.
    pub async fn add_user_call(&self, user: &UserId, call_ms: i64) -> Result<()> {
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO user_stats (app_id, user_id, calls_joined, call_ms) VALUES ($1, $2, 1, $3) \
                 ON CONFLICT (app_id, user_id) DO UPDATE SET calls_joined = user_stats.calls_joined + 1, \
                 call_ms = user_stats.call_ms + excluded.call_ms",
            )
            .bind(self.id())
            .bind(user.as_str())
            .bind(call_ms.max(0))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// One end user's activity, or `None` if the app has no such user.
    pub async fn user_insights(&self, user: &UserId, since_day: &str) -> Result<Option<UserInsights>> {
        check_day(since_day)?;
        type Row = (Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        let row: Option<Row> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT u.last_seen_at, s.last_active_at, s.messages_sent, s.calls_joined, s.call_ms FROM users u \
                 LEFT JOIN user_stats s ON s.app_id = u.app_id AND s.user_id = u.id \
                 WHERE u.app_id = $1 AND u.id = $2",
            )
            .bind(self.id())
            .bind(user.as_str())
            .fetch_optional(pool)
            .await?
        });
        let Some((last_seen_at, last_active_at, messages, calls, call_ms)) = row else {
            return Ok(None);
        };
        let (days,): (i64,) = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM active_users WHERE app_id = $1 AND user_id = $2 AND day >= $3")
                .bind(self.id())
                .bind(user.as_str())
                .bind(since_day)
                .fetch_one(pool)
                .await?
        });
        Ok(Some(UserInsights {
            last_active_at,
            last_seen_at,
            messages_sent: messages.unwrap_or(0),
            calls_joined: calls.unwrap_or(0),
            call_ms: call_ms.unwrap_or(0),
            active_days_30: days,
        }))
    }

    /// Stores a month's invoice unless one exists; returns whether it was new.
    pub async fn put_invoice(&self, month: &str, plan: &str, total_cents: i64, body: &str) -> Result<bool> {
        let n = on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO invoices (app_id, month, plan, total_cents, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, month) DO NOTHING",
            )
            .bind(self.id())
            .bind(month)
            .bind(plan)
            .bind(total_cents)
            .bind(body)
            .bind(now_ms())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The app's invoices, newest first.
    pub async fn invoices(&self) -> Result<Vec<StoredInvoice>> {
        Ok(on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT month, plan, total_cents, body, created_at FROM invoices WHERE app_id = $1 ORDER BY month DESC",
            )
            .bind(self.id())
            .fetch_all(pool)
            .await?
        }))
    }

    /// One month's invoice, if issued.
    pub async fn invoice(&self, month: &str) -> Result<Option<StoredInvoice>> {
        Ok(on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT month, plan, total_cents, body, created_at FROM invoices WHERE app_id = $1 AND month = $2",
            )
            .bind(self.id())
            .bind(month)
            .fetch_optional(pool)
            .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_into_bounded_parts_keeping_every_row() {
        let app = AppId::generate();
        let user: UserId = "u".parse().unwrap();
        let batch = UsageBatch {
            days: vec![(app, "2026-11-27".into(), DayCounters::default()); 3],
            active: vec![(app, "2026-11-27".into(), user.clone()); 5],
            conversations: vec![],
            users: vec![(app, user, 1, 2); 4],
        };
        let parts = batch.split(5);
        assert_eq!(parts.len(), 3);
        let rows = |b: &UsageBatch| b.days.len() + b.active.len() + b.conversations.len() + b.users.len();
        assert!(parts.iter().all(|p| rows(p) <= 5));
        assert_eq!(parts.iter().map(rows).sum::<usize>(), 12);
        assert_eq!(parts.iter().map(|p| p.active.len()).sum::<usize>(), 5);
        assert!(UsageBatch::default().split(5).is_empty());
    }

    #[test]
    fn days_are_checked() {
        assert!(check_day("2026-11-27").is_ok());
        assert!(check_day("2026-11-2x").is_err());
    }
}
