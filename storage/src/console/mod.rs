//! The client console's own data: developer accounts, teams, invitations,
//! console sessions, which team owns which app, each app's plan and the audit log.
//! These rows belong to the operator's side, not to a tenant, so they live on
//! [`Store`] rather than on an [`crate::AppScope`]; every team-scoped read binds the team id.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::{AccountId, AppId, Result, StoreError, TeamId, parse_column};

/// What a team member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Reads everything.
    Viewer,
    /// Manages apps: keys, allowlists, webhooks.
    Developer,
    /// Also manages the team and the plan.
    Owner,
}

impl TeamRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Viewer => "viewer",
            TeamRole::Developer => "developer",
            TeamRole::Owner => "owner",
        }
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TeamRole {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "viewer" => Ok(TeamRole::Viewer),
            "developer" => Ok(TeamRole::Developer),
            "owner" => Ok(TeamRole::Owner),
            _ => Err(StoreError::Invalid {
                code: "invalid_role",
                message: format!("`{s}` is not a role: use owner, developer or viewer"),
            }),
        }
    }
}

/// A developer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account's id.
    pub id: AccountId,
    /// Lower-cased email, unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The argon2 PHC string of the password.
    pub password_hash: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
}

/// A team, with the role of the account that asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMembership {
    /// The team.
    pub team_id: TeamId,
    /// Its name.
    pub team_name: String,
    /// The asking account's role in it.
    pub role: TeamRole,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// The member's account.
    pub account_id: AccountId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: TeamRole,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

/// A signed-in console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Who is signed in.
    pub account: Account,
    /// The team being looked at.
    pub team_id: Option<TeamId>,
    /// The session's anti-CSRF token, put in every form.
    pub csrf: String,
    /// When the session ends, ms since the epoch.
    pub expires_at: i64,
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Entry id (time-ordered).
    pub id: String,
    /// The team concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The app concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Who did it: `account:<email>`, `admin_api` or `cli`.
    pub actor: String,
    /// What was done, e.g. `app.secret_rotated`.
    pub action: String,
    /// Details, as JSON.
    pub detail: serde_json::Value,
    /// When, ms since the epoch.
    #[serde(serialize_with = "crate::ts::serialize")]
    pub at: i64,
}

/// What to write to the audit log.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    /// The team concerned, if any.
    pub team_id: Option<TeamId>,
    /// The app concerned, if any.
    pub app_id: Option<AppId>,
    /// Who did it.
    pub actor: &'a str,
    /// What was done.
    pub action: &'a str,
    /// Details.
    pub detail: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    created_at: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Account> {
        Ok(Account {
            id: parse_column("accounts.id", &r.id)?,
            email: r.email,
            name: r.name,
            password_hash: r.password_hash,
            created_at: r.created_at,
        })
    }
}

macro_rules! account_columns {
    () => {
        "a.id, a.email, a.name, a.password_hash, a.created_at"
    };
}

/// SQL that writes an audit entry; binds id, team, app, actor, action, detail, at.
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (id, team_id, app_id, actor, action, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

macro_rules! bind_audit {
    ($q:expr, $e:expr, $now:expr) => {
        $q.bind(uuid::Uuid::now_v7().to_string())
            .bind($e.team_id.map(|t| t.to_string()))
            .bind($e.app_id.map(|a| a.to_string()))
            .bind($e.actor)
            .bind($e.action)
            .bind($e.detail.to_string())
            .bind($now)
    };
}
pub(crate) use bind_audit;

/// Inserts a team and its owner inside the transaction `$tx`.
macro_rules! insert_owned_team {
    ($tx:ident, $team:expr, $name:expr, $owner:expr, $now:expr) => {
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind($team.to_string())
            .bind($name)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("INSERT INTO team_members (team_id, account_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
            .bind($team.to_string())
            .bind($owner.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
    };
}

macro_rules! audit_select {
    () => {
        "SELECT id, team_id, app_id, actor, action, detail, at FROM audit_log WHERE "
    };
}
macro_rules! audit_rest {
    () => {
        " = $1 AND ($2 IS NULL OR id < $2) ORDER BY at DESC, id DESC LIMIT $3"
    };
}

mod accounts;
mod audit;
mod teams;
