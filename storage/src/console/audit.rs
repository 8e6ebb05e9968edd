//! The audit log.

use super::{AuditEntry, INSERT_AUDIT, NewAudit};
use crate::{AppId, Result, Store, StoreError, TeamId, now_ms, on_pool};

impl Store {
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
