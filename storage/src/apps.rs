//! Client apps (tenants): operator-level rows, plus the settings an app manages itself.

use sqlx::FromRow;

use crate::console::NewAudit;
use crate::keys::{INSERT_KEY, NewSigningKey};
use crate::{AppId, AppScope, BeginWrite, Result, Store, StoreError, TeamId, json_list, now_ms, on_pool, to_json_list};

/// A client app as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The app's id.
    pub id: AppId,
    /// Display name.
    pub name: String,
    /// Public API key (the Basic-auth user name of the admin API).
    pub api_key: String,
    /// SHA-256 of the API secret; the secret itself is never stored.
    pub secret_hash: Vec<u8>,
    /// CIDRs from which the admin API may be called.
    pub allowed_ips: Vec<String>,
    /// Web origins allowed to make end-user requests.
    pub allowed_origins: Vec<String>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last change, ms since the epoch.
    pub updated_at: i64,
}

/// What is needed to create an app, including its first signing key.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Display name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// SHA-256 of the API secret.
    pub secret_hash: Vec<u8>,
    /// CIDRs allowed to call the admin API.
    pub allowed_ips: Vec<String>,
    /// Allowed web origins.
    pub allowed_origins: Vec<String>,
    /// The first session-token signing key.
    pub signing_key: NewSigningKey,
}

/// A change to an app's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AppSettings {
    /// New display name.
    pub name: Option<String>,
    /// New IP allowlist (replaces the old one).
    pub allowed_ips: Option<Vec<String>>,
    /// New origin allowlist (replaces the old one).
    pub allowed_origins: Option<Vec<String>>,
}

#[derive(FromRow)]
struct AppRow {
    id: String,
    name: String,
    api_key: String,
    secret_hash: Vec<u8>,
    allowed_ips: String,
    allowed_origins: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<AppRow> for App {
    type Error = StoreError;
    fn try_from(r: AppRow) -> Result<App> {
        Ok(App {
            id: r
                .id
                .parse()
                .map_err(|e: crate::IdError| StoreError::Corrupt { column: "apps.id", reason: e.to_string() })?,
            name: r.name,
            api_key: r.api_key,
            secret_hash: r.secret_hash,
            allowed_ips: json_list("apps.allowed_ips", &r.allowed_ips)?,
            allowed_origins: json_list("apps.allowed_origins", &r.allowed_origins)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! app_columns {
    () => {
        "id, name, api_key, secret_hash, allowed_ips, allowed_origins, created_at, updated_at"
    };
}

impl Store {
    /// Creates an app and its first signing key in one transaction.
    pub async fn create_app(&self, new: NewApp) -> Result<App> {
        self.create_team_app(new, None).await
    }

    /// Creates an app, its first signing key and (with a team) its ownership and an
    /// audit entry, in one transaction.
    pub async fn create_team_app(&self, new: NewApp, team: Option<(TeamId, NewAudit<'_>)>) -> Result<App> {
        let id = AppId::generate();
        let now = now_ms();
        let sql = concat!(
            "INSERT INTO apps (",
            app_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ",
            app_columns!(),
            ""
        );
        let row: AppRow = on_pool!(&self.db, |pool| {
            let mut tx = pool.begin_write().await?;
            let row: AppRow = sqlx::query_as(sql)
                .bind(id.to_string())
                .bind(&new.name)
                .bind(&new.api_key)
                .bind(&new.secret_hash)
                .bind(to_json_list(&new.allowed_ips))
                .bind(to_json_list(&new.allowed_origins))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            crate::keys::bind_key!(sqlx::query(INSERT_KEY), id, &new.signing_key, now).execute(&mut *tx).await?;
            if let Some((team, audit)) = &team {
                sqlx::query("INSERT INTO app_teams (app_id, team_id) VALUES ($1, $2)")
                    .bind(id.to_string())
                    .bind(team.to_string())
                    .execute(&mut *tx)
                    .await?;
                let audit = NewAudit { app_id: Some(id), ..audit.clone() };
                crate::console::bind_audit!(sqlx::query(crate::console::INSERT_AUDIT), audit, now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    /// Every app, oldest first.
    pub async fn list_apps(&self) -> Result<Vec<App>> {
        let sql = concat!("SELECT ", app_columns!(), " FROM apps ORDER BY id");
        let rows: Vec<AppRow> = on_pool!(&self.db, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter().map(App::try_from).collect()
    }

    /// The app with this id, if any.
    pub async fn app_by_id(&self, id: AppId) -> Result<Option<App>> {
        let sql = concat!("SELECT ", app_columns!(), " FROM apps WHERE id = $1");
        let row: Option<AppRow> =
            on_pool!(&self.db, |pool| { sqlx::query_as(sql).bind(id.to_string()).fetch_optional(pool).await? });
        row.map(App::try_from).transpose()
    }

    /// The app with this API key, if any.
    pub async fn app_by_api_key(&self, api_key: &str) -> Result<Option<App>> {
        let sql = concat!("SELECT ", app_columns!(), " FROM apps WHERE api_key = $1");
        let row: Option<AppRow> =
            on_pool!(&self.db, |pool| { sqlx::query_as(sql).bind(api_key).fetch_optional(pool).await? });
        row.map(App::try_from).transpose()
    }
}

impl AppScope<'_> {
    /// The app's own row.
    pub async fn get(&self) -> Result<Option<App>> {
        self.store.app_by_id(self.app_id).await
    }

    /// Changes the app's settings; returns the app as it now is, or `None` if it is gone.
    pub async fn update_settings(&self, s: &AppSettings) -> Result<Option<App>> {
        let sql = concat!(
            "UPDATE apps SET name = COALESCE($2, name), allowed_ips = COALESCE($3, allowed_ips), \
             allowed_origins = COALESCE($4, allowed_origins), updated_at = $5 \
             WHERE id = $1 RETURNING ",
            app_columns!(),
            ""
        );
        let row: Option<AppRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(sql)
                .bind(self.id())
                .bind(s.name.as_deref())
                .bind(s.allowed_ips.as_deref().map(to_json_list))
                .bind(s.allowed_origins.as_deref().map(to_json_list))
                .bind(now_ms())
                .fetch_optional(pool)
                .await?
        });
        row.map(App::try_from).transpose()
    }

    /// Replaces the stored secret hash (secret rotation). Returns false if the app is gone.
    pub async fn set_secret_hash(&self, secret_hash: &[u8]) -> Result<bool> {
        let done = on_pool!(self.db(), |pool| {
            sqlx::query("UPDATE apps SET secret_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(self.id())
                .bind(secret_hash)
                .bind(now_ms())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }
}
