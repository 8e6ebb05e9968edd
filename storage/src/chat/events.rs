//! The persistent event log: replay after a cursor, ranges for the hub.

use super::*;

impl AppScope<'_> {
    /// The newest event id of the app (0 if none).
    pub async fn last_event_id(&self) -> Result<i64> {
        let row: Option<(i64,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT last_event FROM app_counters WHERE app_id = $1")
                .bind(self.id())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(n,)| n).unwrap_or(0))
    }

    /// Events visible to `user` with `after < id < below`, in id order, at most `limit`.
    pub async fn events_for_user(&self, user: &UserId, after: i64, below: i64, limit: i64) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events e WHERE e.app_id = $1 AND e.id > $3 AND e.id < $4 AND (e.target_user = $2 OR EXISTS \
                 (SELECT 1 FROM members m WHERE m.app_id = e.app_id AND m.conversation_id = e.conversation_id AND m.user_id = $2)) \
                 ORDER BY e.id LIMIT $5"
            ))
            .bind(self.id())
            .bind(user.as_str())
            .bind(after)
            .bind(below)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Event::try_from).collect()
    }

    /// Events with `from <= id < to`, in id order, each with its recipients now.
    pub async fn events_range(&self, from: i64, to: i64) -> Result<Vec<(Event, Vec<UserId>)>> {
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events WHERE app_id = $1 AND id >= $2 AND id < $3 ORDER BY id"
            ))
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let event = Event::try_from(row)?;
            let recipients = match (&event.conversation_id, &event.target_user) {
                (_, Some(u)) => vec![u.clone()],
                (Some(c), None) => self.recipients(*c).await?.to_vec(),
                (None, None) => Vec::new(),
            };
            out.push((event, recipients));
        }
        Ok(out)
    }
}
