//! Writing and reading events: create (one or many, in one transaction),
//! update, delete, RSVP, read one, list.

use super::*;
use crate::{AppScope, BeginWrite, now_ms, on_pool, to_json_list};

/// Fails with `unknown_user` unless every user of `$users` exists in app `$app`.
macro_rules! users_exist {
    ($tx:expr, $app:expr, $users:expr) => {{
        for u in $users {
            let found: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE app_id = $1 AND id = $2")
                .bind($app)
                .bind(u.as_str())
                .fetch_optional(&mut *$tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Invalid {
                    code: "unknown_user",
                    message: format!("`{u}` is not a user of this app"),
                });
            }
        }
    }};
}
pub(crate) use users_exist;

/// Fails with `NotFound` unless `$user` is a member of conversation `$conv`.
macro_rules! require_member {
    ($tx:expr, $app:expr, $conv:expr, $user:expr) => {{ crate::require_conversation!(&mut *$tx, $app, $conv, $user) }};
}
pub(crate) use require_member;

/// Inserts one attendee row.
macro_rules! insert_attendee {
    ($tx:expr, $app:expr, $event:expr, $user:expr, $rsvp:expr, $organizer:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO cal_attendees (app_id, event_id, user_id, rsvp, organizer, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($app)
        .bind($event)
        .bind($user)
        .bind($rsvp)
        .bind($organizer)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

type AttendeeRow = (String, String, i64);

const ATTENDEES_OF: &str = "SELECT user_id, rsvp, organizer FROM cal_attendees WHERE app_id = $1 AND event_id = $2";

fn max_reminder(v: &ValidEvent) -> i64 {
    v.reminders.iter().copied().max().unwrap_or(-1)
}

impl AppScope<'_> {
    /// Creates one event organized by `owner`.
    pub async fn create_event(&self, owner: &UserId, new: &NewEvent) -> Result<CalEvent> {
        let mut created = self.create_events(owner, std::slice::from_ref(new)).await?;
        created.pop().ok_or(StoreError::NotFound { what: "event" })
    }

    /// Creates events organized by `owner`, all or none. The organizer must be a
    /// member of each event's conversation; attendees must be users of the app.
    pub async fn create_events(&self, owner: &UserId, items: &[NewEvent]) -> Result<Vec<CalEvent>> {
        let valid = items.iter().map(|n| n.input.validate(owner)).collect::<Result<Vec<_>>>()?;
        let app = self.id();
        let now = now_ms();
        let ids: Vec<EventId> = items.iter().map(|_| EventId::generate()).collect();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            for ((new, v), id) in items.iter().zip(&valid).zip(&ids) {
                if let Some(conv) = new.conversation_id {
                    require_member!(tx, &app, conv, owner);
                }
                users_exist!(tx, &app, &v.attendees);
                let first = v.schedule.first();
                sqlx::query(
                    "INSERT INTO cal_events (app_id, id, owner_id, conversation_id, title, description, location, \
                     time_zone, all_day, start_local, end_local, start_ms, end_ms, series_end_ms, rrule, exdates, \
                     reminders, max_reminder_min, is_call, ical_uid, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)",
                )
                .bind(&app)
                .bind(id.to_string())
                .bind(owner.as_str())
                .bind(new.conversation_id.map(|c| c.to_string()))
                .bind(&v.title)
                .bind(&v.description)
                .bind(&v.location)
                .bind(v.schedule.time_zone())
                .bind(i64::from(v.schedule.all_day()))
                .bind(v.schedule.start_text())
                .bind(v.schedule.end_text())
                .bind(first.start_ms)
                .bind(first.end_ms)
                .bind(v.schedule.series_end_ms())
                .bind(v.schedule.rule())
                .bind(to_json_list(&v.schedule.exdate_texts()))
                .bind(reminders_json(&v.reminders))
                .bind(max_reminder(v))
                .bind(i64::from(v.call))
                .bind(new.ical_uid.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                insert_attendee!(tx, &app, id.to_string(), owner.as_str(), Rsvp::Accepted.as_str(), 1_i64, now);
                for user in &v.attendees {
                    insert_attendee!(tx, &app, id.to_string(), user.as_str(), Rsvp::NeedsAction.as_str(), 0_i64, now);
                }
            }
            tx.commit().await?;
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.load_event(id).await?.ok_or(StoreError::NotFound { what: "event" })?);
        }
        Ok(out)
    }

    /// The event, whoever asks (server-side use).
    pub async fn load_event(&self, id: EventId) -> Result<Option<CalEvent>> {
        let app = self.id();
        let (row, attendees): (Option<EventRow>, Vec<AttendeeRow>) = on_pool!(self.db(), |pool| {
            let row = sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM cal_events e WHERE e.app_id = $1 AND e.id = $2"
            ))
            .bind(&app)
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?;
            let attendees = sqlx::query_as(ATTENDEES_OF).bind(&app).bind(id.to_string()).fetch_all(pool).await?;
            (row, attendees)
        });
        row.map(|r| r.into_event(attendees)).transpose()
    }

    /// The event if `user` may see it, else `NotFound`.
    pub async fn event_for(&self, id: EventId, user: &UserId) -> Result<CalEvent> {
        let app = self.id();
        let row: Option<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM cal_events e WHERE e.app_id = $1 AND e.id = $2 AND ",
                visible_to!("$3")
            ))
            .bind(&app)
            .bind(id.to_string())
            .bind(user.as_str())
            .fetch_optional(pool)
            .await?
        });
        let row = row.ok_or(StoreError::NotFound { what: "event" })?;
        self.hydrate(vec![row]).await?.pop().ok_or(StoreError::NotFound { what: "event" })
    }

    /// Events from rows, with their attendees.
    pub(crate) async fn hydrate(&self, rows: Vec<EventRow>) -> Result<Vec<CalEvent>> {
        let app = self.id();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let attendees: Vec<AttendeeRow> = on_pool!(self.db(), |pool| {
                sqlx::query_as(ATTENDEES_OF).bind(&app).bind(&row.id).fetch_all(pool).await?
            });
            out.push(row.into_event(attendees)?);
        }
        Ok(out)
    }

    /// Replaces an event's fields (organizer only). Attendees who stay keep their
    /// answers; new ones start at `needs_action`.
    pub async fn update_event(&self, id: EventId, user: &UserId, input: &EventInput) -> Result<CalEvent> {
        let current = self.event_for(id, user).await?;
        if current.owner_id != *user {
            return Err(StoreError::Forbidden("only the organizer may change an event".into()));
        }
        let v = input.validate(&current.owner_id)?;
        let before: Vec<&UserId> = current.attendees.iter().map(|a| &a.user_id).collect();
        let added: Vec<&UserId> = v.attendees.iter().filter(|u| !before.contains(u)).collect();
        let removed: Vec<&UserId> = before.iter().copied().filter(|u| !v.attendees.contains(u)).collect();
        let app = self.id();
        let now = now_ms();
        let first = v.schedule.first();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            users_exist!(tx, &app, &added);
            let n = sqlx::query(
                "UPDATE cal_events SET title = $3, description = $4, location = $5, time_zone = $6, all_day = $7, \
                 start_local = $8, end_local = $9, start_ms = $10, end_ms = $11, series_end_ms = $12, rrule = $13, \
                 exdates = $14, reminders = $15, max_reminder_min = $16, is_call = $17, updated_at = $18 \
                 WHERE app_id = $1 AND id = $2",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(&v.title)
            .bind(&v.description)
            .bind(&v.location)
            .bind(v.schedule.time_zone())
            .bind(i64::from(v.schedule.all_day()))
            .bind(v.schedule.start_text())
            .bind(v.schedule.end_text())
            .bind(first.start_ms)
            .bind(first.end_ms)
            .bind(v.schedule.series_end_ms())
            .bind(v.schedule.rule())
            .bind(to_json_list(&v.schedule.exdate_texts()))
            .bind(reminders_json(&v.reminders))
            .bind(max_reminder(&v))
            .bind(i64::from(v.call))
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { what: "event" });
            }
            for u in &removed {
                sqlx::query(
                    "DELETE FROM cal_attendees WHERE app_id = $1 AND event_id = $2 AND user_id = $3 AND organizer = 0",
                )
                .bind(&app)
                .bind(id.to_string())
                .bind(u.as_str())
                .execute(&mut *tx)
                .await?;
            }
            for u in &added {
                insert_attendee!(tx, &app, id.to_string(), u.as_str(), Rsvp::NeedsAction.as_str(), 0_i64, now);
            }
            tx.commit().await?;
        });
        self.load_event(id).await?.ok_or(StoreError::NotFound { what: "event" })
    }

    /// Deletes an event (organizer only).
    pub async fn delete_event(&self, id: EventId, user: &UserId) -> Result<()> {
        let current = self.event_for(id, user).await?;
        if current.owner_id != *user {
            return Err(StoreError::Forbidden("only the organizer may delete an event".into()));
        }
        on_pool!(self.db(), |pool| {
            sqlx::query("DELETE FROM cal_events WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.to_string())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records `user`'s answer (the organizer's or an attendee's).
    pub async fn rsvp_event(&self, id: EventId, user: &UserId, rsvp: Rsvp) -> Result<CalEvent> {
        self.event_for(id, user).await?;
        let n = on_pool!(self.db(), |pool| {
            sqlx::query(
                "UPDATE cal_attendees SET rsvp = $4, updated_at = $5 WHERE app_id = $1 AND event_id = $2 AND user_id = $3",
            )
            .bind(self.id())
            .bind(id.to_string())
            .bind(user.as_str())
            .bind(rsvp.as_str())
            .bind(now_ms())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::Forbidden("you are not invited to this event".into()));
        }
        self.load_event(id).await?.ok_or(StoreError::NotFound { what: "event" })
    }

    /// Events `user` may see, newest first, optionally of one conversation.
    pub async fn list_events(
        &self,
        user: &UserId,
        conversation: Option<ConversationId>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<EventPage> {
        let (before_at, before_id) = parse_cursor(cursor)?;
        let app = self.id();
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM cal_events e WHERE e.app_id = $1 AND ",
                visible_to!("$2"),
                " AND ($3 = '' OR e.conversation_id = $3) \
                 AND (e.created_at < $4 OR (e.created_at = $4 AND e.id < $5)) \
                 ORDER BY e.created_at DESC, e.id DESC LIMIT $6"
            ))
            .bind(&app)
            .bind(user.as_str())
            .bind(conversation.map(|c| c.to_string()).unwrap_or_default())
            .bind(before_at)
            .bind(before_id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        });
        let (rows, more) = crate::cut(rows, limit);
        let events = self.hydrate(rows).await?;
        Ok(EventPage::after(events, more))
    }
}

fn reminders_json(r: &[i64]) -> String {
    // Serializing integers cannot fail.
    serde_json::to_string(r).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) use crate::time_cursor as parse_cursor;
