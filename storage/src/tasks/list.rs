//! Listing tasks: filtered pages and a conversation's board.

use super::*;
use crate::calendar::parse_cursor;
use crate::{AppScope, on_pool};

/// Which tasks to list (all given filters apply).
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only tasks of this conversation.
    pub conversation: Option<ConversationId>,
    /// Only tasks assigned to this user.
    pub assignee: Option<UserId>,
    /// Only tasks with this status.
    pub status: Option<String>,
}

/// A page of tasks.
pub type TaskPage = crate::Page<crate::tasks::Task>;

impl crate::Listed for crate::tasks::Task {
    const ITEMS: &'static str = "tasks";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

/// A conversation's board: one column per status, tasks by position.
#[derive(Debug, Clone)]
pub struct Board {
    /// `(status, tasks)`: the app's statuses in order, then any other status
    /// tasks still carry.
    pub columns: Vec<(String, Vec<Task>)>,
    /// Whether the board holds more tasks than it shows.
    pub truncated: bool,
}

impl AppScope<'_> {
    /// Tasks `user` may see that match `filter`, newest first.
    pub async fn list_tasks(
        &self,
        user: &UserId,
        filter: &TaskFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<TaskPage> {
        let (before_at, before_id) = parse_cursor(cursor)?;
        let app = self.id();
        let rows: Vec<TaskRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                task_columns!(),
                " FROM tasks t WHERE t.app_id = $1 AND ",
                task_visible_to!("$2"),
                " AND ($3 = '' OR t.conversation_id = $3) \
                 AND ($4 = '' OR EXISTS (SELECT 1 FROM task_assignees fa WHERE fa.app_id = t.app_id \
                      AND fa.task_id = t.id AND fa.user_id = $4)) \
                 AND ($5 = '' OR t.status = $5) \
                 AND (t.created_at < $6 OR (t.created_at = $6 AND t.id < $7)) \
                 ORDER BY t.created_at DESC, t.id DESC LIMIT $8"
            ))
            .bind(&app)
            .bind(user.as_str())
            .bind(filter.conversation.map(|c| c.to_string()).unwrap_or_default())
            .bind(filter.assignee.as_ref().map(UserId::as_str).unwrap_or(""))
            .bind(filter.status.as_deref().unwrap_or(""))
            .bind(before_at)
            .bind(before_id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        });
        let (rows, more) = crate::cut(rows, limit);
        let tasks = self.hydrate_tasks(rows).await?;
        Ok(TaskPage::after(tasks, more))
    }

    /// The board of a conversation `user` belongs to (else `NotFound`).
    pub async fn task_board(&self, user: &UserId, conversation: ConversationId) -> Result<Board> {
        let app = self.id();
        let conv = conversation.to_string();
        let (rows, assignees): (Vec<TaskRow>, Vec<(String, String)>) = on_pool!(self.db(), |pool| {
            crate::require_conversation!(pool, &app, conversation, user);
            let rows = sqlx::query_as(concat!(
                "SELECT ",
                task_columns!(),
                " FROM tasks t WHERE t.app_id = $1 AND t.conversation_id = $2 \
                     ORDER BY t.position, t.created_at, t.id LIMIT $3"
            ))
            .bind(&app)
            .bind(&conv)
            .bind(limits::BOARD as i64 + 1)
            .fetch_all(pool)
            .await?;
            let assignees = sqlx::query_as(
                "SELECT a.task_id, a.user_id FROM task_assignees a JOIN tasks t ON t.app_id = a.app_id \
                     AND t.id = a.task_id WHERE a.app_id = $1 AND t.conversation_id = $2",
            )
            .bind(&app)
            .bind(&conv)
            .fetch_all(pool)
            .await?;
            (rows, assignees)
        });
        let truncated = rows.len() > limits::BOARD;
        let mut by_task: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (task, user) in assignees {
            by_task.entry(task).or_default().push(user);
        }
        let mut columns: Vec<(String, Vec<Task>)> =
            self.task_statuses().await?.into_iter().map(|s| (s, Vec::new())).collect();
        for row in rows.into_iter().take(limits::BOARD) {
            let users = by_task.remove(&row.id).unwrap_or_default();
            let task = row.into_task(users)?;
            match columns.iter_mut().find(|(s, _)| *s == task.status) {
                Some((_, tasks)) => tasks.push(task),
                None => columns.push((task.status.clone(), vec![task])),
            }
        }
        Ok(Board { columns, truncated })
    }
}
