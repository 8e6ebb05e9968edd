//! Reminders that fall due in a time window, across every app: event
//! reminders (per occurrence, for the organizer and each attendee who has not
//! declined) and task due dates (for the assignees, or the creator of an
//! unassigned task; done tasks excluded). A scheduler asks for consecutive
//! windows and notifies.

use crate::calendar::{EventRow, event_columns, parse};
use crate::{AppId, Result, Store, UserId, on_pool};

/// `(app, id, title, due, creator)` of a task due in the window.
type TaskDue = (String, String, String, i64, String);

/// Most reminders one call returns.
const MAX_REMINDERS: usize = 10_000;

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// An occurrence of a calendar event.
    Event,
    /// A task's due date.
    Task,
}

impl ReminderKind {
    /// `event` or `task`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Event => "event",
            ReminderKind::Task => "task",
        }
    }
}

/// One reminder to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    /// The app.
    pub app_id: AppId,
    /// Who to remind.
    pub user_id: UserId,
    /// Event or task.
    pub kind: ReminderKind,
    /// The event's or the task's id.
    pub object_id: String,
    /// Its title.
    pub title: String,
    /// When the reminder fires, ms since the epoch (inside the window).
    pub at: i64,
    /// When the occurrence starts, or the task is due, ms since the epoch.
    pub occurs_at: i64,
}

impl Store {
    /// Reminders firing in `[from_ms, to_ms)`, by time (at most 10 000).
    pub async fn due_reminders(&self, from_ms: i64, to_ms: i64) -> Result<Vec<DueReminder>> {
        if to_ms <= from_ms {
            return Ok(Vec::new());
        }
        let (events, tasks): (Vec<EventRow>, Vec<TaskDue>) = on_pool!(&self.db, |pool| {
            let events = sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM cal_events e WHERE e.max_reminder_min >= 0 \
                 AND e.start_ms - e.max_reminder_min * 60000 < $1 AND e.series_end_ms > $2 LIMIT 5000"
            ))
            .bind(to_ms)
            .bind(from_ms)
            .fetch_all(pool)
            .await?;
            let tasks = sqlx::query_as(
                "SELECT app_id, id, title, due_ms, creator_id FROM tasks \
                 WHERE due_ms >= $1 AND due_ms < $2 AND status <> 'done' ORDER BY due_ms LIMIT 5000",
            )
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(pool)
            .await?;
            (events, tasks)
        });
        let mut out = Vec::new();
        for row in events {
            let app_id: AppId = parse("cal_events.app_id", &row.app_id)?;
            let reminders = row.reminders()?;
            let (Some(&min), Some(&max)) = (reminders.first(), reminders.last()) else { continue };
            let schedule = row.schedule()?;
            // Occurrences whose start minus some lead lands in the window.
            let (found, _) = schedule.between(
                from_ms.saturating_add(min * 60_000),
                to_ms.saturating_add(max * 60_000),
                MAX_REMINDERS,
            );
            let mut due = Vec::new();
            for o in &found {
                for m in &reminders {
                    let at = o.start_ms - m * 60_000;
                    if (from_ms..to_ms).contains(&at) {
                        due.push((at, o.start_ms));
                    }
                }
            }
            if due.is_empty() {
                continue;
            }
            let users: Vec<(String,)> = on_pool!(&self.db, |pool| {
                sqlx::query_as(
                    "SELECT user_id FROM cal_attendees WHERE app_id = $1 AND event_id = $2 AND rsvp <> 'declined' \
                     ORDER BY user_id",
                )
                .bind(&row.app_id)
                .bind(&row.id)
                .fetch_all(pool)
                .await?
            });
            for (at, occurs_at) in due {
                for (u,) in &users {
                    out.push(DueReminder {
                        app_id,
                        user_id: parse("cal_attendees.user_id", u)?,
                        kind: ReminderKind::Event,
                        object_id: row.id.clone(),
                        title: row.title.clone(),
                        at,
                        occurs_at,
                    });
                }
            }
        }
        for (app, id, title, due, creator) in tasks {
            let users: Vec<(String,)> = on_pool!(&self.db, |pool| {
                sqlx::query_as("SELECT user_id FROM task_assignees WHERE app_id = $1 AND task_id = $2 ORDER BY user_id")
                    .bind(&app)
                    .bind(&id)
                    .fetch_all(pool)
                    .await?
            });
            let users = if users.is_empty() { vec![(creator,)] } else { users };
            let app_id: AppId = parse("tasks.app_id", &app)?;
            for (u,) in users {
                out.push(DueReminder {
                    app_id,
                    user_id: parse("task_assignees.user_id", &u)?,
                    kind: ReminderKind::Task,
                    object_id: id.clone(),
                    title: title.clone(),
                    at: due,
                    occurs_at: due,
                });
            }
        }
        out.sort_by(|a, b| (a.at, &a.object_id, &a.user_id).cmp(&(b.at, &b.object_id, &b.user_id)));
        if out.len() > MAX_REMINDERS {
            out.truncate(MAX_REMINDERS);
        }
        Ok(out)
    }
}
