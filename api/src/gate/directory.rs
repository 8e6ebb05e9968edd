//! The in-memory directory of apps that end-user requests need on their hot path:
//! token verification keys and allowed origins. It is rebuilt from the database
//! after every local change, every few seconds (for changes made by other nodes or
//! the CLI), and at most once a second when a token names an unknown key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use caas_storage::{AppId, Store, StoreError};

use crate::gate::origin::{OriginPattern, origin_allowed, parse_origins};
use crate::gate::tokens::{Claims, KeySet, TokenError};

/// One consistent view of all apps.
struct Snapshot {
    keys: KeySet,
    origins: HashMap<AppId, Arc<Vec<OriginPattern>>>,
}

/// Verification keys and origin lists of every app, shared by all requests.
pub struct Directory {
    current: RwLock<Arc<Snapshot>>,
    last_reload: tokio::sync::Mutex<Instant>,
}

/// Shortest time between two reloads caused by unknown key ids.
const MISS_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

impl Directory {
    /// Loads the directory from the database.
    pub async fn load(store: &Store) -> Result<Directory, StoreError> {
        let snap = build(store).await?;
        Ok(Directory { current: RwLock::new(Arc::new(snap)), last_reload: tokio::sync::Mutex::new(Instant::now()) })
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // The lock only guards an Arc swap; a poisoned lock still holds a valid Arc.
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Rebuilds the directory from the database now.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let mut last = self.last_reload.lock().await;
        let snap = build(store).await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
        *last = Instant::now();
        Ok(())
    }

    /// Verifies a token. A token naming a key this node has not seen yet (an app
    /// created by another node or the CLI) triggers one throttled reload.
    pub async fn verify(&self, store: &Store, token: &str) -> Result<Claims, TokenError> {
        match self.snapshot().keys.verify_cached(token, now_secs()) {
            Err(TokenError::UnknownKey) => {
                let reloaded = {
                    let mut last = self.last_reload.lock().await;
                    if last.elapsed() >= MISS_RELOAD_INTERVAL {
                        *last = Instant::now();
                        match build(store).await {
                            Ok(snap) => {
                                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
                                true
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "directory reload failed");
                                false
                            }
                        }
                    } else {
                        false
                    }
                };
                if reloaded {
                    self.snapshot().keys.verify_cached(token, now_secs())
                } else {
                    Err(TokenError::UnknownKey)
                }
            }
            other => other,
        }
    }

    /// The origins an app allows (empty if the app is unknown).
    pub fn origins(&self, app: AppId) -> Arc<Vec<OriginPattern>> {
        self.snapshot().origins.get(&app).cloned().unwrap_or_default()
    }

    /// Whether any app allows `origin` (used to answer CORS preflights).
    pub fn origin_known(&self, origin: &str) -> bool {
        self.snapshot().origins.values().any(|list| origin_allowed(list, origin))
    }

    /// Spawns the periodic reload.
    pub fn spawn_refresher(self: &Arc<Self>, store: Store, every: Duration) -> tokio::task::JoinHandle<()> {
        let dir = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = dir.reload(&store).await {
                    tracing::warn!(error = %e, "periodic directory reload failed");
                }
            }
        })
    }
}

async fn build(store: &Store) -> Result<Snapshot, StoreError> {
    let keys = store.verification_keys().await?;
    let apps = store.list_apps().await?;
    let origins = apps
        .into_iter()
        .map(|app| {
            let list = parse_origins(&app.allowed_origins).unwrap_or_else(|e| {
                tracing::warn!(app_id = %app.id, error = %e, "stored origin list is invalid; allowing none");
                Vec::new()
            });
            (app.id, Arc::new(list))
        })
        .collect();
    Ok(Snapshot { keys: KeySet::new(keys.into_iter().map(|k| (k.kid, k.app_id, k.public_key))), origins })
}

fn now_secs() -> i64 {
    caas_storage::now_ms() / 1000
}
