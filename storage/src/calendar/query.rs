//! Reading calendars over time: occurrences in a range, free/busy, the feed.

use std::sync::Arc;

use super::*;
use crate::{AppScope, on_pool};

/// Most events one range query looks at.
const MAX_EVENTS_SCANNED: i64 = 2000;

/// One occurrence of an event.
#[derive(Debug, Clone)]
pub struct EventOccurrence {
    /// The event it belongs to.
    pub event: Arc<CalEvent>,
    /// When.
    pub occurrence: Occurrence,
}

/// Occurrences in a range.
#[derive(Debug, Clone)]
pub struct OccurrencePage {
    /// By start, then event id.
    pub occurrences: Vec<EventOccurrence>,
    /// Whether some were left out (too many in the range).
    pub truncated: bool,
}

/// Busy intervals `[start_ms, end_ms)` per user, merged and sorted, in the order asked.
pub type BusyMap = Vec<(UserId, Vec<(i64, i64)>)>;

fn merge(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

impl AppScope<'_> {
    /// Occurrences in `[from_ms, to_ms)` of the events `viewer` may see — and, with
    /// `of`, that user `of` may see too (someone else's calendar, as far as the
    /// viewer is allowed to see it). At most `limit`.
    pub async fn occurrences(
        &self,
        viewer: &UserId,
        of: Option<&UserId>,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<OccurrencePage> {
        let app = self.id();
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM cal_events e WHERE e.app_id = $1 AND e.start_ms < $3 AND e.series_end_ms > $4 AND ",
                visible_to!("$2"),
                " AND ($5 = '' OR ",
                visible_to!("$5"),
                ") ORDER BY e.start_ms, e.id LIMIT $6"
            ))
            .bind(&app)
            .bind(viewer.as_str())
            .bind(to_ms)
            .bind(from_ms)
            .bind(of.map(UserId::as_str).unwrap_or(""))
            .bind(MAX_EVENTS_SCANNED + 1)
            .fetch_all(pool)
            .await?
        });
        let mut truncated = rows.len() as i64 > MAX_EVENTS_SCANNED;
        let events = self.hydrate(rows.into_iter().take(MAX_EVENTS_SCANNED as usize).collect()).await?;
        let mut all = Vec::new();
        for event in events {
            let (found, more) = event.schedule.between(from_ms, to_ms, limit);
            truncated |= more;
            let event = Arc::new(event);
            all.extend(found.into_iter().map(|occurrence| EventOccurrence { event: Arc::clone(&event), occurrence }));
        }
        all.sort_by_key(|a| (a.occurrence.start_ms, a.event.id));
        if all.len() > limit {
            all.truncate(limit);
            truncated = true;
        }
        Ok(OccurrencePage { occurrences: all, truncated })
    }

    /// When each of `users` is busy in `[from_ms, to_ms)`: occurrences of events
    /// they organize or attend without having declined. Times only — no titles.
    pub async fn free_busy(&self, users: &[UserId], from_ms: i64, to_ms: i64) -> Result<BusyMap> {
        let app = self.id();
        let mut out = Vec::with_capacity(users.len());
        for user in users {
            let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
                sqlx::query_as(concat!(
                    "SELECT ",
                    event_columns!(),
                    " FROM cal_events e JOIN cal_attendees a ON a.app_id = e.app_id AND a.event_id = e.id \
                     WHERE e.app_id = $1 AND a.user_id = $2 AND a.rsvp <> 'declined' \
                     AND e.start_ms < $3 AND e.series_end_ms > $4 ORDER BY e.start_ms LIMIT $5"
                ))
                .bind(&app)
                .bind(user.as_str())
                .bind(to_ms)
                .bind(from_ms)
                .bind(MAX_EVENTS_SCANNED)
                .fetch_all(pool)
                .await?
            });
            let mut spans = Vec::new();
            for row in rows {
                let (found, _) = row.schedule()?.between(from_ms, to_ms, 1000);
                spans.extend(found.into_iter().map(|o| (o.start_ms.max(from_ms), o.end_ms.min(to_ms))));
            }
            out.push((user.clone(), merge(spans)));
        }
        Ok(out)
    }

    /// The events of `user`'s feed: every event they may see, latest start first.
    pub async fn feed_events(&self, user: &UserId, limit: i64) -> Result<Vec<CalEvent>> {
        let app = self.id();
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM cal_events e WHERE e.app_id = $1 AND ",
                visible_to!("$2"),
                " ORDER BY e.start_ms DESC, e.id LIMIT $3"
            ))
            .bind(&app)
            .bind(user.as_str())
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        self.hydrate(rows).await
    }
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn busy_spans_merge() {
        assert_eq!(merge(vec![(5, 7), (1, 3), (2, 4), (7, 8), (10, 11)]), vec![(1, 4), (5, 8), (10, 11)]);
        assert_eq!(merge(vec![]), vec![]);
    }
}
