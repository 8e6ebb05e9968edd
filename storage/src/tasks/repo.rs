//! Writing and reading one task: create (also from a message), read, change
//! (with the activity log), delete, comments, the app's status list.

use serde_json::{Value, json};

use super::*;
use crate::calendar::{optional_text, title as check_title};
use crate::calendar::{require_member, users_exist};
use crate::{AppScope, BeginWrite, now_ms, on_pool};

/// Appends one activity entry.
macro_rules! log_activity {
    ($tx:expr, $app:expr, $task:expr, $actor:expr, $action:expr, $old:expr, $new:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO task_activity (app_id, task_id, id, actor_id, action, old_value, new_value, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($app)
        .bind($task)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind($actor)
        .bind($action)
        .bind($old.map(|v: Value| v.to_string()))
        .bind($new.map(|v: Value| v.to_string()))
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

/// Evaluates to the position after the last task of column `$status` of the board
/// of `$conv` (`""` for tasks outside conversations).
macro_rules! next_position {
    ($tx:expr, $app:expr, $conv:expr, $status:expr) => {{
        let (max,): (Option<f64>,) = sqlx::query_as(
            "SELECT MAX(position) FROM tasks WHERE app_id = $1 AND COALESCE(conversation_id, '') = $2 AND status = $3",
        )
        .bind($app)
        .bind($conv)
        .bind($status)
        .fetch_one(&mut *$tx)
        .await?;
        max.unwrap_or(0.0).floor() + 1.0
    }};
}

fn invalid(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid { code, message: message.into() }
}

/// A title made from a message's text: its first non-empty line, cut to the limit.
fn title_from_message(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(limits::TITLE).collect())
}

fn assignees_json(list: &[UserId]) -> Value {
    Value::from(list.iter().map(|u| u.as_str()).collect::<Vec<_>>())
}

impl AppScope<'_> {
    /// The app's status list (the default if it set none).
    pub async fn task_statuses(&self) -> Result<Vec<String>> {
        let row: Option<(String,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT statuses FROM task_statuses WHERE app_id = $1")
                .bind(self.id())
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some((raw,)) => crate::json_list("task_statuses.statuses", &raw),
            None => Ok(DEFAULT_STATUSES.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    /// Replaces the app's status list. Tasks keep their status; the board shows
    /// statuses no longer listed after the listed ones.
    pub async fn set_task_statuses(&self, list: &[String]) -> Result<Vec<String>> {
        let list = validate_statuses(list)?;
        on_pool!(self.db(), |pool| {
            sqlx::query(
                "INSERT INTO task_statuses (app_id, statuses) VALUES ($1, $2) \
                 ON CONFLICT (app_id) DO UPDATE SET statuses = excluded.statuses",
            )
            .bind(self.id())
            .bind(crate::to_json_list(&list))
            .execute(pool)
            .await?;
        });
        Ok(list)
    }

    /// Creates a task made by `creator`. With a conversation the creator must be a
    /// member; with a message, it must be a live message of that conversation.
    pub async fn create_task(&self, creator: &UserId, new: &NewTask) -> Result<Task> {
        if new.message_id.is_some() && new.conversation_id.is_none() {
            return Err(invalid("conversation_required", "a task made from a message needs its conversation_id"));
        }
        let statuses = self.task_statuses().await?;
        let status = match &new.status {
            Some(s) => s.trim().to_owned(),
            None => statuses.first().cloned().unwrap_or_else(|| DEFAULT_STATUSES[0].to_owned()),
        };
        check_status(&status, &statuses)?;
        let given_title = new.title.as_deref().map(|t| check_title(t, limits::TITLE)).transpose()?;
        let description = optional_text(&new.description, limits::DESCRIPTION, "invalid_description", "description")?;
        let assignees = assignee_set(&new.assignees)?;
        let priority = new.priority.unwrap_or(Priority::Normal);
        let app = self.id();
        let id = TaskId::generate();
        let now = now_ms();
        let conv = new.conversation_id.map(|c| c.to_string()).unwrap_or_default();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(c) = new.conversation_id {
                require_member!(tx, &app, c, creator);
            }
            let mut title = given_title.clone();
            if let Some(message) = new.message_id {
                let text: Option<(String,)> = sqlx::query_as(
                    "SELECT text FROM messages WHERE app_id = $1 AND conversation_id = $2 AND id = $3 AND deleted_at IS NULL",
                )
                .bind(&app)
                .bind(&conv)
                .bind(message.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                let (text,) = text.ok_or(StoreError::NotFound { what: "message" })?;
                if title.is_none() {
                    title = title_from_message(&text);
                }
            }
            let title = title.ok_or_else(|| invalid("invalid_title", "title must be 1 to 200 characters"))?;
            users_exist!(tx, &app, &assignees);
            let position = next_position!(tx, &app, &conv, &status);
            sqlx::query(
                "INSERT INTO tasks (app_id, id, creator_id, conversation_id, message_id, title, description, status, \
                 priority, due_ms, position, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(creator.as_str())
            .bind(new.conversation_id.map(|c| c.to_string()))
            .bind(new.message_id.map(|m| m.to_string()))
            .bind(&title)
            .bind(&description)
            .bind(&status)
            .bind(priority.as_str())
            .bind(new.due_at)
            .bind(position)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for u in &assignees {
                sqlx::query("INSERT INTO task_assignees (app_id, task_id, user_id) VALUES ($1, $2, $3)")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(u.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            let created = json!({"title": title, "status": status, "assignees": assignees_json(&assignees)});
            log_activity!(tx, &app, id.to_string(), creator.as_str(), "created", None, Some(created), now);
            tx.commit().await?;
        });
        self.load_task(id).await?.ok_or(StoreError::NotFound { what: "task" })
    }

    /// The task, whoever asks (server-side use).
    pub async fn load_task(&self, id: TaskId) -> Result<Option<Task>> {
        let app = self.id();
        let row: Option<TaskRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!("SELECT ", task_columns!(), " FROM tasks t WHERE t.app_id = $1 AND t.id = $2"))
                .bind(&app)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some(row) => Ok(self.hydrate_tasks(vec![row]).await?.pop()),
            None => Ok(None),
        }
    }

    /// The task if `user` may see it, else `NotFound`.
    pub async fn task_for(&self, id: TaskId, user: &UserId) -> Result<Task> {
        let app = self.id();
        let row: Option<TaskRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                task_columns!(),
                " FROM tasks t WHERE t.app_id = $1 AND t.id = $2 AND ",
                task_visible_to!("$3")
            ))
            .bind(&app)
            .bind(id.to_string())
            .bind(user.as_str())
            .fetch_optional(pool)
            .await?
        });
        let row = row.ok_or(StoreError::NotFound { what: "task" })?;
        self.hydrate_tasks(vec![row]).await?.pop().ok_or(StoreError::NotFound { what: "task" })
    }

    /// Tasks from rows, with their assignees.
    pub(crate) async fn hydrate_tasks(&self, rows: Vec<TaskRow>) -> Result<Vec<Task>> {
        let app = self.id();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let users: Vec<(String,)> = on_pool!(self.db(), |pool| {
                sqlx::query_as("SELECT user_id FROM task_assignees WHERE app_id = $1 AND task_id = $2")
                    .bind(&app)
                    .bind(&row.id)
                    .fetch_all(pool)
                    .await?
            });
            out.push(row.into_task(users.into_iter().map(|(u,)| u).collect())?);
        }
        Ok(out)
    }

    /// Changes a task (anyone who sees it), logging each changed field.
    pub async fn update_task(&self, id: TaskId, user: &UserId, patch: &TaskPatch) -> Result<Task> {
        let cur = self.task_for(id, user).await?;
        let mut log: Vec<(&'static str, Value, Value)> = Vec::new();
        let mut next = cur.clone();
        if let Some(t) = &patch.title {
            next.title = check_title(t, limits::TITLE)?;
            if next.title != cur.title {
                log.push(("title", json!(cur.title), json!(next.title)));
            }
        }
        if let Some(d) = &patch.description {
            next.description = optional_text(d, limits::DESCRIPTION, "invalid_description", "description")?;
            if next.description != cur.description {
                log.push(("description", json!(cur.description), json!(next.description)));
            }
        }
        if let Some(s) = &patch.status {
            let s = s.trim();
            if s != cur.status {
                check_status(s, &self.task_statuses().await?)?;
                next.status = s.to_owned();
                log.push(("status", json!(cur.status), json!(next.status)));
            }
        }
        if let Some(p) = patch.priority.filter(|p| *p != cur.priority) {
            next.priority = p;
            log.push(("priority", json!(cur.priority.as_str()), json!(p.as_str())));
        }
        if let Some(d) = patch.due_at.filter(|d| *d != cur.due_at) {
            next.due_at = d;
            log.push(("due", json!(cur.due_at), json!(d)));
        }
        if let Some(a) = &patch.assignees {
            next.assignees = assignee_set(a)?;
            if next.assignees != cur.assignees {
                log.push(("assignees", assignees_json(&cur.assignees), assignees_json(&next.assignees)));
            }
        }
        if let Some(p) = patch.position {
            if !p.is_finite() || p.abs() > 1e15 {
                return Err(invalid("invalid_position", "position must be a finite number"));
            }
            next.position = p;
        }
        if log.is_empty() && next.position == cur.position {
            return Ok(cur);
        }
        let added: Vec<&UserId> = next.assignees.iter().filter(|u| !cur.assignees.contains(u)).collect();
        let removed: Vec<&UserId> = cur.assignees.iter().filter(|u| !next.assignees.contains(u)).collect();
        let conv = cur.conversation_id.map(|c| c.to_string()).unwrap_or_default();
        let moved_column = next.status != cur.status && patch.position.is_none();
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            users_exist!(tx, &app, &added);
            if moved_column {
                next.position = next_position!(tx, &app, &conv, &next.status);
            }
            let n = sqlx::query(
                "UPDATE tasks SET title = $3, description = $4, status = $5, priority = $6, due_ms = $7, position = $8, \
                 updated_at = $9 WHERE app_id = $1 AND id = $2",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(&next.title)
            .bind(&next.description)
            .bind(&next.status)
            .bind(next.priority.as_str())
            .bind(next.due_at)
            .bind(next.position)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { what: "task" });
            }
            for u in &removed {
                sqlx::query("DELETE FROM task_assignees WHERE app_id = $1 AND task_id = $2 AND user_id = $3")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(u.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            for u in &added {
                sqlx::query("INSERT INTO task_assignees (app_id, task_id, user_id) VALUES ($1, $2, $3)")
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(u.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            for (action, old, new) in log {
                log_activity!(tx, &app, id.to_string(), user.as_str(), action, Some(old), Some(new), now);
            }
            tx.commit().await?;
        });
        self.load_task(id).await?.ok_or(StoreError::NotFound { what: "task" })
    }

    /// Deletes a task (its creator only).
    pub async fn delete_task(&self, id: TaskId, user: &UserId) -> Result<()> {
        let cur = self.task_for(id, user).await?;
        if cur.creator_id != *user {
            return Err(StoreError::Forbidden("only the creator may delete a task".into()));
        }
        on_pool!(self.db(), |pool| {
            sqlx::query("DELETE FROM tasks WHERE app_id = $1 AND id = $2")
                .bind(self.id())
                .bind(id.to_string())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Adds a comment (anyone who sees the task); logged as `comment`.
    pub async fn comment_task(&self, id: TaskId, user: &UserId, text: &str) -> Result<TaskComment> {
        self.task_for(id, user).await?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > limits::COMMENT {
            return Err(invalid("invalid_text", format!("a comment is 1 to {} characters", limits::COMMENT)));
        }
        let comment = TaskComment {
            id: CommentId::generate(),
            author_id: user.clone(),
            text: text.to_owned(),
            created_at: now_ms(),
        };
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO task_comments (app_id, task_id, id, author_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(comment.id.to_string())
            .bind(user.as_str())
            .bind(&comment.text)
            .bind(comment.created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE tasks SET updated_at = $3 WHERE app_id = $1 AND id = $2")
                .bind(&app)
                .bind(id.to_string())
                .bind(comment.created_at)
                .execute(&mut *tx)
                .await?;
            let new = json!({"comment_id": comment.id.to_string()});
            log_activity!(tx, &app, id.to_string(), user.as_str(), "comment", None, Some(new), comment.created_at);
            tx.commit().await?;
        });
        Ok(comment)
    }

    /// A task's comments, oldest first (at most 500).
    pub async fn task_comments(&self, id: TaskId, user: &UserId) -> Result<Vec<TaskComment>> {
        self.task_for(id, user).await?;
        let rows: Vec<(String, String, String, i64)> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT id, author_id, text, created_at FROM task_comments WHERE app_id = $1 AND task_id = $2 \
                 ORDER BY created_at, id LIMIT 500",
            )
            .bind(self.id())
            .bind(id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(cid, author, text, at)| {
                Ok(TaskComment {
                    id: parse("task_comments.id", &cid)?,
                    author_id: parse("task_comments.author_id", &author)?,
                    text,
                    created_at: at,
                })
            })
            .collect()
    }

    /// A task's activity log, oldest first (at most 500 entries).
    pub async fn task_activity(&self, id: TaskId, user: &UserId) -> Result<Vec<TaskActivity>> {
        self.task_for(id, user).await?;
        type Row = (String, String, Option<String>, Option<String>, i64);
        let rows: Vec<Row> = on_pool!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT actor_id, action, old_value, new_value, created_at FROM task_activity \
                 WHERE app_id = $1 AND task_id = $2 ORDER BY created_at, id LIMIT 500",
            )
            .bind(self.id())
            .bind(id.to_string())
            .fetch_all(pool)
            .await?
        });
        let json = |v: Option<String>| -> Result<Option<Value>> {
            v.map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| StoreError::Corrupt { column: "task_activity", reason: e.to_string() })
        };
        rows.into_iter()
            .map(|(actor, action, old, new, at)| {
                Ok(TaskActivity {
                    actor_id: parse("task_activity.actor_id", &actor)?,
                    action,
                    old_value: json(old)?,
                    new_value: json(new)?,
                    created_at: at,
                })
            })
            .collect()
    }
}
