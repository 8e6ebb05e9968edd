//! Call metering: participant time per app and day, for billing.

use serde::Serialize;

use crate::{AppScope, Result, StoreError, on_pool};

/// One day of an app's call usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CallUsageDay {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Participant milliseconds with audio only.
    pub audio_ms: i64,
    /// Participant milliseconds while video was sent or received.
    pub video_ms: i64,
    /// Participants who left that day.
    pub participants: i64,
}

/// Whether `day` is `YYYY-MM-DD`.
fn valid_day(day: &str) -> bool {
    let b = day.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl AppScope<'_> {
    /// Adds one participant's time to `day` (one statement: concurrent adds sum).
    pub async fn add_call_usage(&self, day: &str, audio_ms: i64, video_ms: i64) -> Result<()> {
        if !valid_day(day) {
            return Err(StoreError::Invalid { code: "invalid_day", message: format!("`{day}` is not YYYY-MM-DD") });
        }
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO call_usage (app_id, day, audio_ms, video_ms, participants) VALUES ($1, $2, $3, $4, 1) \
                 ON CONFLICT (app_id, day) DO UPDATE SET audio_ms = call_usage.audio_ms + excluded.audio_ms, \
                 video_ms = call_usage.video_ms + excluded.video_ms, participants = call_usage.participants + 1",
            )
            .bind(self.id())
            .bind(day)
            .bind(audio_ms.max(0))
            .bind(video_ms.max(0))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Usage per day from `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first.
    pub async fn call_usage(&self, from: &str, to: &str) -> Result<Vec<CallUsageDay>> {
        for d in [from, to] {
            if !valid_day(d) {
                return Err(StoreError::Invalid { code: "invalid_day", message: format!("`{d}` is not YYYY-MM-DD") });
            }
        }
        Ok(on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT day, audio_ms, video_ms, participants FROM call_usage \
                 WHERE app_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
            )
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_checked() {
        assert!(valid_day("2026-11-26"));
        for bad in ["", "2026-11-2", "2026/11/26", "2026-11-26x", "abcd-ef-gh"] {
            assert!(!valid_day(bad), "{bad}");
        }
    }
}
