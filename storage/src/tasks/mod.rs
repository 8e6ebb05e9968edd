//! Tasks: title, description, status (the app's own list, by default todo,
//! doing, done), priority, due date, assignees, a position on the board,
//! comments and an activity log of who changed what. A task may live in a
//! conversation, and may be made from one of its messages.
//!
//! Who sees a task: its creator, its assignees and, for a task in a
//! conversation, that conversation's members — who may all change it. Only
//! the creator deletes it. Everyone else, and every other app, gets `NotFound`.

mod list;
mod repo;

use std::str::FromStr;

pub use list::{Board, TaskFilter, TaskPage};

use crate::calendar::parse;
use crate::{CommentId, ConversationId, MessageId, Result, StoreError, TaskId, UserId};

/// Limits on what a task may hold.
pub mod limits {
    /// Longest title, in characters.
    pub const TITLE: usize = 200;
    /// Longest description, in characters.
    pub const DESCRIPTION: usize = 8000;
    /// Longest comment, in characters.
    pub const COMMENT: usize = 4000;
    /// Most assignees.
    pub const ASSIGNEES: usize = 50;
    /// Longest status name, in characters.
    pub const STATUS: usize = 32;
    /// Most statuses in an app's list.
    pub const STATUSES: usize = 20;
    /// Most tasks a board shows.
    pub const BOARD: usize = 1000;
}

/// The status list of an app that set none.
pub const DEFAULT_STATUSES: [&str; 3] = ["todo", "doing", "done"];

/// How urgent a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Low.
    Low,
    /// Normal (the default).
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl Priority {
    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

impl FromStr for Priority {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "low" => Ok(Priority::Low),
            "normal" => Ok(Priority::Normal),
            "high" => Ok(Priority::High),
            "urgent" => Ok(Priority::Urgent),
            _ => Err(StoreError::Invalid {
                code: "invalid_priority",
                message: "priority must be low, normal, high or urgent".into(),
            }),
        }
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Id.
    pub id: TaskId,
    /// Who made it.
    pub creator_id: UserId,
    /// The conversation it lives in.
    pub conversation_id: Option<ConversationId>,
    /// The message it was made from.
    pub message_id: Option<MessageId>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// One of the app's statuses (or one it had when the task last moved).
    pub status: String,
    /// Priority.
    pub priority: Priority,
    /// Due, ms since the epoch.
    pub due_at: Option<i64>,
    /// Order on the board within its column (ascending).
    pub position: f64,
    /// Assignees, by user id.
    pub assignees: Vec<UserId>,
    /// Ms since the epoch.
    pub created_at: i64,
    /// Ms since the epoch.
    pub updated_at: i64,
}

/// Input of [`crate::AppScope::create_task`].
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    /// 1–200 characters; default: the message's text (first line).
    pub title: Option<String>,
    /// Up to 8000 characters.
    pub description: Option<String>,
    /// Default: the first of the app's statuses.
    pub status: Option<String>,
    /// Default: normal.
    pub priority: Option<Priority>,
    /// Ms since the epoch.
    pub due_at: Option<i64>,
    /// Users of the app.
    pub assignees: Vec<UserId>,
    /// The conversation (the creator must be a member).
    pub conversation_id: Option<ConversationId>,
    /// A message of that conversation the task is made from.
    pub message_id: Option<MessageId>,
}

/// A change to a task; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    /// New title.
    pub title: Option<String>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// New status (moves the task to the end of that column unless `position` is given).
    pub status: Option<String>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New due time (`Some(None)` clears it).
    pub due_at: Option<Option<i64>>,
    /// New assignee set.
    pub assignees: Option<Vec<UserId>>,
    /// New position in its column.
    pub position: Option<f64>,
}

/// A comment on a task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskComment {
    /// Id.
    pub id: CommentId,
    /// Author.
    pub author_id: UserId,
    /// Text.
    pub text: String,
    /// Ms since the epoch.
    pub created_at: i64,
}

/// One entry of a task's activity log.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskActivity {
    /// Who.
    pub actor_id: UserId,
    /// What: `created`, `title`, `description`, `status`, `priority`, `due`,
    /// `assignees` or `comment`.
    pub action: String,
    /// The value before (JSON), if any.
    pub old_value: Option<serde_json::Value>,
    /// The value after (JSON), if any.
    pub new_value: Option<serde_json::Value>,
    /// Ms since the epoch.
    pub created_at: i64,
}

/// One stored row of `tasks`.
#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    pub id: String,
    pub creator_id: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: String,
    pub due_ms: Option<i64>,
    pub position: f64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of [`TaskRow`], for `SELECT … FROM tasks t`.
macro_rules! task_columns {
    () => {
        "t.id, t.creator_id, t.conversation_id, t.message_id, t.title, t.description, t.status, t.priority, \
         t.due_ms, t.position, t.created_at, t.updated_at"
    };
}
pub(crate) use task_columns;

/// SQL that is true when `tasks t` is visible to the user bound at `$n`.
macro_rules! task_visible_to {
    ($n:literal) => {
        concat!(
            "(t.creator_id = ",
            $n,
            " OR EXISTS (SELECT 1 FROM task_assignees va WHERE va.app_id = t.app_id AND va.task_id = t.id AND va.user_id = ",
            $n,
            ") OR (t.conversation_id IS NOT NULL AND EXISTS (SELECT 1 FROM members vm WHERE vm.app_id = t.app_id \
             AND vm.conversation_id = t.conversation_id AND vm.user_id = ",
            $n,
            ")))"
        )
    };
}
pub(crate) use task_visible_to;

impl TaskRow {
    pub(crate) fn into_task(self, assignees: Vec<String>) -> Result<Task> {
        let mut assignees =
            assignees.iter().map(|u| parse("task_assignees.user_id", u)).collect::<Result<Vec<UserId>>>()?;
        assignees.sort();
        Ok(Task {
            id: parse("tasks.id", &self.id)?,
            creator_id: parse("tasks.creator_id", &self.creator_id)?,
            conversation_id: self.conversation_id.as_deref().map(|c| parse("tasks.conversation_id", c)).transpose()?,
            message_id: self.message_id.as_deref().map(|m| parse("tasks.message_id", m)).transpose()?,
            title: self.title,
            description: self.description,
            status: self.status,
            priority: parse("tasks.priority", &self.priority)?,
            due_at: self.due_ms,
            position: self.position,
            assignees,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Checks an app's status list: 1–20 distinct names of 1–32 printable characters.
pub fn validate_statuses(list: &[String]) -> Result<Vec<String>> {
    let bad = |m: String| StoreError::Invalid { code: "invalid_statuses", message: m };
    if list.is_empty() || list.len() > limits::STATUSES {
        return Err(bad(format!("give 1 to {} statuses", limits::STATUSES)));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for s in list {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > limits::STATUS || s.chars().any(char::is_control) {
            return Err(bad(format!("a status is 1 to {} printable characters", limits::STATUS)));
        }
        if out.iter().any(|o| o == s) {
            return Err(bad(format!("`{s}` appears twice")));
        }
        out.push(s.to_owned());
    }
    Ok(out)
}

/// Fails with `invalid_status` unless `status` is in `allowed`.
pub(crate) fn check_status(status: &str, allowed: &[String]) -> Result<()> {
    if allowed.iter().any(|s| s == status) {
        return Ok(());
    }
    Err(StoreError::Invalid {
        code: "invalid_status",
        message: format!("status must be one of: {}", allowed.join(", ")),
    })
}

/// Assignees: deduplicated, sorted, at most [`limits::ASSIGNEES`].
pub(crate) fn assignee_set(list: &[UserId]) -> Result<Vec<UserId>> {
    let mut v = list.to_vec();
    v.sort();
    v.dedup();
    if v.len() > limits::ASSIGNEES {
        return Err(StoreError::Invalid {
            code: "too_many_assignees",
            message: format!("at most {} assignees", limits::ASSIGNEES),
        });
    }
    Ok(v)
}

/// Statements that erase a user's task data (bound: `$1` app, `$2` user): their
/// assignments, comments and log entries, and the tasks they made outside any
/// conversation. Tasks of a conversation stay with it.
pub(crate) const ERASE_USER: [&str; 4] = [
    "DELETE FROM task_assignees WHERE app_id = $1 AND user_id = $2",
    "DELETE FROM task_comments WHERE app_id = $1 AND author_id = $2",
    "DELETE FROM task_activity WHERE app_id = $1 AND actor_id = $2",
    "DELETE FROM tasks WHERE app_id = $1 AND creator_id = $2 AND conversation_id IS NULL",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_are_checked() {
        let ok = validate_statuses(&[" backlog ".into(), "in review".into(), "done".into()]).unwrap();
        assert_eq!(ok, ["backlog", "in review", "done"]);
        for bad in [vec![], vec!["a".to_owned(), "a".to_owned()], vec!["x".repeat(33)], vec!["\n".to_owned()]] {
            assert!(validate_statuses(&bad).is_err(), "{bad:?}");
        }
        assert!(check_status("done", &ok).is_ok());
        assert!(check_status("doing", &ok).is_err());
    }
}
