//! The in-memory directory of apps that end-user requests need on their hot path:
//! token verification keys and allowed origins. It is rebuilt from the database
//! after every local change, every few seconds (for changes made by other nodes or
//! the CLI), and when a token names a key the database has but this node has
//! not loaded yet: the request waits for that reload (concurrent ones share
//! it), so a key another node or the CLI just made is never refused. A token
//! naming a key the database does not have costs one indexed read. It also
//! holds when each erased user was erased, so that their older tokens are
//! refused without a read per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use caas_storage::{AppId, Store, StoreError, UserId};

use crate::gate::origin::{OriginPattern, origin_allowed, parse_origins};
use crate::gate::tokens::{Claims, KeySet, TokenError};

/// One consistent view of all apps.
struct Snapshot {
    keys: KeySet,
    origins: HashMap<AppId, Arc<Vec<OriginPattern>>>,
    /// Erased users and when (ms): their older tokens are refused.
    erased: HashMap<(AppId, UserId), i64>,
}

/// Verification keys and origin lists of every app, shared by all requests.
pub struct Directory {
    current: RwLock<Arc<Snapshot>>,
    /// Held while reloading: reloads run one at a time.
    reloading: tokio::sync::Mutex<()>,
    /// Reloads done so far: a request that waited for the lock knows whether
    /// a reload finished meanwhile.
    generation: AtomicU64,
}

impl Directory {
    /// Loads the directory from the database.
    pub async fn load(store: &Store) -> Result<Directory, StoreError> {
        let snap = build(store).await?;
        Ok(Directory {
            current: RwLock::new(Arc::new(snap)),
            reloading: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        })
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // The lock only guards an Arc swap; a poisoned lock still holds a valid Arc.
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Rebuilds the directory from the database now.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let _one = self.reloading.lock().await;
        let snap = build(store).await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Reloads unless a reload started after `seen` (the generation the
    /// caller saw) has finished meanwhile: concurrent callers share one.
    async fn reload_after(&self, store: &Store, seen: u64) -> Result<(), StoreError> {
        let _one = self.reloading.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return Ok(());
        }
        let snap = build(store).await?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Verifies a token. A token naming a key this node has not loaded (an
    /// app or a key made by another node or the CLI) waits for a reload if
    /// the database has that key.
    pub async fn verify(&self, store: &Store, token: &str) -> Result<Claims, TokenError> {
        let seen = self.generation.load(Ordering::Acquire);
        match self.snapshot().keys.verify_cached(token, now_secs()) {
            Err(TokenError::UnknownKey) => {
                let kid = jsonwebtoken::decode_header(token)
                    .ok()
                    .and_then(|h| h.kid)
                    .and_then(|k| k.parse::<caas_storage::KeyId>().ok())
                    .ok_or(TokenError::UnknownKey)?;
                match store.key_exists(&kid).await {
                    Ok(true) => {}
                    Ok(false) => return Err(TokenError::UnknownKey),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot look up a token's key");
                        return Err(TokenError::UnknownKey);
                    }
                }
                if let Err(e) = self.reload_after(store, seen).await {
                    tracing::warn!(error = %e, "directory reload failed");
                    return Err(TokenError::UnknownKey);
                }
                match self.snapshot().keys.verify_cached(token, now_secs()) {
                    // The reload this request shared began before the key was written: one more.
                    Err(TokenError::UnknownKey) => {
                        if let Err(e) = self.reload(store).await {
                            tracing::warn!(error = %e, "directory reload failed");
                            return Err(TokenError::UnknownKey);
                        }
                        self.snapshot().keys.verify_cached(token, now_secs())
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    /// When `user` of `app` was erased (ms), if ever.
    pub fn erased_at(&self, app: AppId, user: &UserId) -> Option<i64> {
        let snap = self.snapshot();
        if snap.erased.is_empty() {
            return None;
        }
        snap.erased.get(&(app, user.clone())).copied()
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
    let erased = store.erasures().await?.into_iter().map(|(app, user, at)| ((app, user), at)).collect();
    Ok(Snapshot { keys: KeySet::new(keys.into_iter().map(|k| (k.kid, k.app_id, k.public_key))), origins, erased })
}

fn now_secs() -> i64 {
    caas_storage::now_ms() / 1000
}
