//! Accounts and console sessions.

use super::{Account, AccountRow, ConsoleSession, INSERT_AUDIT, NewAudit};
use crate::{AccountId, BeginWrite, Result, Store, StoreError, TeamId, now_ms, on_pool, parse_column};

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

    /// Stores a password reset link for the account (`token_hash` = SHA-256 of
    /// the token); the account's earlier links stop working.
    pub async fn create_password_reset(&self, account: AccountId, token_hash: &[u8], expires_at: i64) -> Result<()> {
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM password_resets WHERE account_id = $1")
                .bind(account.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(account.to_string())
            .bind(now_ms())
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Uses a password reset link: in one transaction the link is spent, the
    /// password replaced and every console session of the account ended.
    /// `None` (nothing changed) if the link is unknown, used or expired.
    pub async fn reset_password(&self, token_hash: &[u8], password_hash: &str) -> Result<Option<AccountId>> {
        let now = now_ms();
        let account: Option<String> = on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let row: Option<(String, i64)> =
                sqlx::query_as("DELETE FROM password_resets WHERE token_hash = $1 RETURNING account_id, expires_at")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            match row {
                Some((account, expires_at)) if expires_at > now => {
                    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
                        .bind(&account)
                        .bind(password_hash)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
                        .bind(&account)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Some(account)
                }
                // An expired link is spent too (the delete is kept).
                Some(_) => {
                    tx.commit().await?;
                    None
                }
                None => None,
            }
        });
        account.map(|a| parse_column("password_resets.account_id", &a)).transpose()
    }
}
