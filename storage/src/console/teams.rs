//! Teams, members and invitations; which team owns which app, and its plan.

use super::{Account, INSERT_AUDIT, NewAudit, TeamMember, TeamMembership, TeamRole};
use crate::apps::App;
use crate::{AccountId, AppId, BeginWrite, Result, Store, StoreError, TeamId, now_ms, on_pool, parse_column};

impl Store {
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
}
