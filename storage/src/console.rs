//! The client console's own data: developer accounts, teams, invitations,
//! console sessions, which team owns which app, each app's plan and the audit log.
//! These rows belong to the operator's side, not to a tenant, so they live on
//! [`Store`] rather than on an [`crate::AppScope`]; every team-scoped read binds the team id.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::apps::App;
use crate::{AccountId, AppId, BeginWrite, Result, Store, StoreError, TeamId, now_ms, on_pool, parse_column};

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

impl Store {
    /// Creates an account and its first team (the account owns it), in one
    /// transaction. A taken email is `Invalid { code: "email_taken" }`.
    pub async fn create_account(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        team_name: &str,
    ) -> Result<(Account, TeamId)> {
        let id = AccountId::generate();
        let team = TeamId::generate();
        let now = now_ms();
        // The body is an async block so that a unique violation comes back here as a value.
        let res: Result<()> = on_pool!(&self.db, |pool| async {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO accounts (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(email)
            .bind(name)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            insert_owned_team!(tx, team, team_name, id, now);
            let audit = NewAudit {
                team_id: Some(team),
                app_id: None,
                actor: &format!("account:{email}"),
                action: "team.created",
                detail: serde_json::json!({"team_name": team_name}),
            };
            bind_audit!(sqlx::query(INSERT_AUDIT), audit, now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        }
        .await);
        match res {
            Err(e) if e.is_unique_violation() => Err(StoreError::Invalid {
                code: "email_taken",
                message: "an account with this email exists; log in instead".into(),
            }),
            Err(e) => Err(e),
            Ok(()) => Ok((
                Account {
                    id,
                    email: email.to_owned(),
                    name: name.to_owned(),
                    password_hash: password_hash.to_owned(),
                    created_at: now,
                },
                team,
            )),
        }
    }

    /// The account with this (lower-cased) email, if any.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        let sql = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.email = $1");
        let row: Option<AccountRow> =
            on_pool!(&self.db, |pool| sqlx::query_as(sql).bind(email).fetch_optional(pool).await?);
        row.map(Account::try_from).transpose()
    }

    /// Starts a console session. `id_hash` is the SHA-256 of the cookie value.
    pub async fn create_console_session(
        &self,
        id_hash: &[u8],
        account: AccountId,
        team: Option<TeamId>,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            // Expired sessions of this account go with every new sign-in.
            sqlx::query("DELETE FROM console_sessions WHERE account_id = $1 AND expires_at <= $2")
                .bind(account.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO console_sessions (id_hash, account_id, team_id, csrf, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id_hash)
            .bind(account.to_string())
            .bind(team.map(|t| t.to_string()))
            .bind(csrf)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The live session with this id hash, if any.
    pub async fn console_session(&self, id_hash: &[u8]) -> Result<Option<ConsoleSession>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            account: AccountRow,
            team_id: Option<String>,
            csrf: String,
            expires_at: i64,
        }
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            ", s.team_id, s.csrf, s.expires_at FROM console_sessions s \
             JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = $1 AND s.expires_at > $2"
        );
        let row: Option<Row> =
            on_pool!(&self.db, |pool| sqlx::query_as(sql).bind(id_hash).bind(now_ms()).fetch_optional(pool).await?);
        row.map(|r| {
            Ok(ConsoleSession {
                account: r.account.try_into()?,
                team_id: r.team_id.as_deref().map(|t| parse_column("console_sessions.team_id", t)).transpose()?,
                csrf: r.csrf,
                expires_at: r.expires_at,
            })
        })
        .transpose()
    }

    /// Ends a console session.
    pub async fn delete_console_session(&self, id_hash: &[u8]) -> Result<()> {
        on_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1").bind(id_hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Points a session at another team (the caller checked membership).
    pub async fn set_session_team(&self, id_hash: &[u8], team: TeamId) -> Result<()> {
        on_pool!(&self.db, |pool| {
            sqlx::query("UPDATE console_sessions SET team_id = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(team.to_string())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The teams of an account, by name.
    pub async fn teams_of(&self, account: AccountId) -> Result<Vec<TeamMembership>> {
        let rows: Vec<(String, String, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT t.id, t.name, m.role FROM team_members m JOIN teams t ON t.id = m.team_id \
                 WHERE m.account_id = $1 ORDER BY t.name, t.id",
            )
            .bind(account.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, role)| {
                Ok(TeamMembership { team_id: parse_column("teams.id", &id)?, team_name: name, role: role.parse()? })
            })
            .collect()
    }

    /// The account's role in the team, or `None` if not a member.
    pub async fn team_role(&self, team: TeamId, account: AccountId) -> Result<Option<TeamRole>> {
        let role: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT role FROM team_members WHERE team_id = $1 AND account_id = $2")
                .bind(team.to_string())
                .bind(account.to_string())
                .fetch_optional(pool)
                .await?
        });
        role.map(|(r,)| r.parse()).transpose()
    }

    /// The members of a team, owners first.
    pub async fn team_members(&self, team: TeamId) -> Result<Vec<TeamMember>> {
        let rows: Vec<(String, String, String, String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT a.id, a.email, a.name, m.role, m.created_at FROM team_members m \
                 JOIN accounts a ON a.id = m.account_id WHERE m.team_id = $1 ORDER BY m.created_at, a.email",
            )
            .bind(team.to_string())
            .fetch_all(pool)
            .await?
        });
        let mut members = rows
            .into_iter()
            .map(|(id, email, name, role, joined_at)| {
                Ok(TeamMember {
                    account_id: parse_column("accounts.id", &id)?,
                    email,
                    name,
                    role: role.parse()?,
                    joined_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        members.sort_by(|a, b| b.role.cmp(&a.role).then(a.joined_at.cmp(&b.joined_at)));
        Ok(members)
    }

    /// Changes a member's role, or removes them (`role: None`), and audits it, in
    /// one transaction. A team keeps at least one owner (`Invalid { code: "last_owner" }`).
    pub async fn change_member(
        &self,
        team: TeamId,
        member: AccountId,
        role: Option<TeamRole>,
        audit: NewAudit<'_>,
    ) -> Result<()> {
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let n = match role {
                Some(role) => sqlx::query("UPDATE team_members SET role = $3 WHERE team_id = $1 AND account_id = $2")
                    .bind(team.to_string())
                    .bind(member.to_string())
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                None => sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND account_id = $2")
                    .bind(team.to_string())
                    .bind(member.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            };
            if n == 0 {
                return Err(StoreError::NotFound { what: "team member" });
            }
            let (owners,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM team_members WHERE team_id = $1 AND role = 'owner'")
                    .bind(team.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            if owners == 0 {
                // Dropping the transaction rolls the change back.
                return Err(StoreError::Invalid {
                    code: "last_owner",
                    message: "a team needs at least one owner: make someone else owner first".into(),
                });
            }
            bind_audit!(sqlx::query(INSERT_AUDIT), audit, now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores an invitation (`token_hash` is the SHA-256 of the link's token).
    pub async fn create_invite(
        &self,
        team: TeamId,
        role: TeamRole,
        token_hash: &[u8],
        expires_at: i64,
        audit: NewAudit<'_>,
    ) -> Result<()> {
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO team_invites (token_hash, team_id, role, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(token_hash)
            .bind(team.to_string())
            .bind(role.as_str())
            .bind(audit.actor)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            bind_audit!(sqlx::query(INSERT_AUDIT), audit, now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The team an unused, unexpired invitation leads to, and its name.
    pub async fn invite_team(&self, token_hash: &[u8]) -> Result<Option<(TeamId, String)>> {
        let row: Option<(String, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT t.id, t.name FROM team_invites i JOIN teams t ON t.id = i.team_id \
                 WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now_ms())
            .fetch_optional(pool)
            .await?
        });
        row.map(|(id, name)| Ok((parse_column("teams.id", &id)?, name))).transpose()
    }

    /// Uses an invitation: the account joins the team with the invited role (an
    /// existing member keeps their role). Returns the team and its name, or `None`
    /// if the link is unknown, used or expired.
    pub async fn accept_invite(&self, token_hash: &[u8], account: &Account) -> Result<Option<(TeamId, String)>> {
        let now = now_ms();
        let joined: Option<(String, String)> = on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let invite: Option<(String, String, String)> = sqlx::query_as(
                "SELECT i.team_id, i.role, t.name FROM team_invites i JOIN teams t ON t.id = i.team_id \
                 WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            match invite {
                None => None,
                Some((team, role, name)) => {
                    sqlx::query("UPDATE team_invites SET used_by = $2, used_at = $3 WHERE token_hash = $1")
                        .bind(token_hash)
                        .bind(account.id.to_string())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO team_members (team_id, account_id, role, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (team_id, account_id) DO NOTHING",
                    )
                    .bind(&team)
                    .bind(account.id.to_string())
                    .bind(&role)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let team_id: TeamId = parse_column("team_invites.team_id", &team)?;
                    let audit = NewAudit {
                        team_id: Some(team_id),
                        app_id: None,
                        actor: &format!("account:{}", account.email),
                        action: "team.member_joined",
                        detail: serde_json::json!({"email": account.email, "role": role}),
                    };
                    bind_audit!(sqlx::query(INSERT_AUDIT), audit, now).execute(&mut *tx).await?;
                    tx.commit().await?;
                    Some((team, name))
                }
            }
        });
        joined.map(|(t, name)| Ok((parse_column("team_invites.team_id", &t)?, name))).transpose()
    }

    /// Creates a team owned by `account`.
    pub async fn create_team(&self, name: &str, account: &Account) -> Result<TeamId> {
        let team = TeamId::generate();
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            insert_owned_team!(tx, team, name, account.id, now);
            tx.commit().await?;
        });
        Ok(team)
    }

    /// The apps a team owns, oldest first.
    pub async fn team_apps(&self, team: TeamId) -> Result<Vec<App>> {
        let ids: Vec<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT app_id FROM app_teams WHERE team_id = $1 ORDER BY app_id")
                .bind(team.to_string())
                .fetch_all(pool)
                .await?
        });
        let mut apps = Vec::with_capacity(ids.len());
        for (id,) in ids {
            if let Some(app) = self.app_by_id(parse_column("app_teams.app_id", &id)?).await? {
                apps.push(app);
            }
        }
        Ok(apps)
    }

    /// The team that owns an app, if any (apps made with the CLI have none).
    pub async fn app_team(&self, app: AppId) -> Result<Option<TeamId>> {
        let row: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT team_id FROM app_teams WHERE app_id = $1")
                .bind(app.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(t,)| parse_column("app_teams.team_id", &t)).transpose()
    }

    /// The app's plan id, if one was chosen (else the configured default applies).
    pub async fn app_plan(&self, app: AppId) -> Result<Option<String>> {
        let row: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT plan FROM app_plans WHERE app_id = $1")
                .bind(app.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(p,)| p))
    }

    /// Sets the app's plan and audits it, in one transaction.
    pub async fn set_app_plan(&self, app: AppId, plan: &str, audit: NewAudit<'_>) -> Result<()> {
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO app_plans (app_id, plan, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (app_id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at",
            )
            .bind(app.to_string())
            .bind(plan)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            bind_audit!(sqlx::query(INSERT_AUDIT), audit, now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes one audit entry.
    pub async fn audit(&self, entry: NewAudit<'_>) -> Result<()> {
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            bind_audit!(sqlx::query(INSERT_AUDIT), entry, now).execute(pool).await?;
        });
        Ok(())
    }

    /// A team's audit log (its own entries and its apps'), newest first, before `before` (an entry id).
    pub async fn team_audit_log(&self, team: TeamId, before: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
        const SQL: &str = concat!(audit_select!(), "team_id", audit_rest!());
        self.audit_log(SQL, &team.to_string(), before, limit).await
    }

    /// An app's audit log, newest first, before `before` (an entry id).
    pub async fn app_audit_log(&self, app: AppId, before: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
        const SQL: &str = concat!(audit_select!(), "app_id", audit_rest!());
        self.audit_log(SQL, &app.to_string(), before, limit).await
    }

    async fn audit_log(
        &self,
        sql: &'static str,
        id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            team_id: Option<String>,
            app_id: Option<String>,
            actor: String,
            action: String,
            detail: String,
            at: i64,
        }
        let rows: Vec<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql).bind(id).bind(before).bind(limit.clamp(1, 500)).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    detail: serde_json::from_str(&r.detail)
                        .map_err(|e| StoreError::Corrupt { column: "audit_log.detail", reason: e.to_string() })?,
                    id: r.id,
                    team_id: r.team_id,
                    app_id: r.app_id,
                    actor: r.actor,
                    action: r.action,
                    at: r.at,
                })
            })
            .collect()
    }
}
