//! Session-token signing keys (Ed25519), one active per app, older ones kept for
//! verification until retired tokens expire or the key is revoked.

use sqlx::FromRow;

use crate::{AppId, AppScope, BeginWrite, KeyId, Result, Store, StoreError, UserId, now_ms, on_pool};

/// A freshly generated key to store.
#[derive(Debug, Clone)]
pub struct NewSigningKey {
    /// Key id, put in the token's `kid` header.
    pub kid: KeyId,
    /// PKCS#8 DER of the private key.
    pub private_der: Vec<u8>,
    /// Raw 32-byte public key.
    pub public_key: Vec<u8>,
}

/// The key an app signs new tokens with.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// Key id.
    pub kid: KeyId,
    /// PKCS#8 DER of the private key.
    pub private_der: Vec<u8>,
}

/// A public key that verifies tokens of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// Key id.
    pub kid: KeyId,
    /// The app whose tokens this key signs.
    pub app_id: AppId,
    /// Raw 32-byte Ed25519 public key.
    pub public_key: Vec<u8>,
}

pub(crate) const INSERT_KEY: &str = "INSERT INTO app_signing_keys \
    (kid, app_id, private_der, public_key, created_at) VALUES ($1, $2, $3, $4, $5)";

/// Binds a [`NewSigningKey`] to [`INSERT_KEY`]; a macro so that it serves both backends.
macro_rules! bind_key {
    ($q:expr, $app:expr, $key:expr, $now:expr) => {
        $q.bind($key.kid.to_string()).bind($app.to_string()).bind(&$key.private_der).bind(&$key.public_key).bind($now)
    };
}
pub(crate) use bind_key;

#[derive(FromRow)]
struct PublicRow {
    kid: String,
    app_id: String,
    public_key: Vec<u8>,
}

impl TryFrom<PublicRow> for VerificationKey {
    type Error = StoreError;
    fn try_from(r: PublicRow) -> Result<Self> {
        let corrupt = |column| move |e: crate::IdError| StoreError::Corrupt { column, reason: e.to_string() };
        Ok(VerificationKey {
            kid: r.kid.parse().map_err(corrupt("app_signing_keys.kid"))?,
            app_id: r.app_id.parse().map_err(corrupt("app_signing_keys.app_id"))?,
            public_key: r.public_key,
        })
    }
}

impl Store {
    /// Whether `kid` names a key that is not revoked (one indexed read: a
    /// token naming a key this node has not loaded is checked with it before
    /// the node reloads all keys).
    pub async fn key_exists(&self, kid: &KeyId) -> Result<bool> {
        let sql = "SELECT 1 FROM app_signing_keys WHERE kid = $1 AND revoked_at IS NULL";
        let row: Option<(i32,)> =
            on_pool!(&self.db, |pool| sqlx::query_as(sql).bind(kid.to_string()).fetch_optional(pool).await?);
        Ok(row.is_some())
    }

    /// Every erased user of every app, with when (ms): tokens issued to them
    /// before then are refused.
    pub async fn erasures(&self) -> Result<Vec<(AppId, UserId, i64)>> {
        let sql = "SELECT app_id, user_id, erased_at FROM user_erasures";
        let rows: Vec<(String, String, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(app, user, at)| {
                let app = app.parse().map_err(|e: crate::IdError| StoreError::Corrupt {
                    column: "user_erasures.app_id",
                    reason: e.to_string(),
                })?;
                let user = user.parse().map_err(|e: crate::IdError| StoreError::Corrupt {
                    column: "user_erasures.user_id",
                    reason: e.to_string(),
                })?;
                Ok((app, user, at))
            })
            .collect()
    }

    /// Every key that may still verify tokens (not revoked), of every app.
    /// Used to fill the in-memory verifier cache; never on a request's hot path.
    pub async fn verification_keys(&self) -> Result<Vec<VerificationKey>> {
        let sql = "SELECT kid, app_id, public_key FROM app_signing_keys WHERE revoked_at IS NULL";
        let rows: Vec<PublicRow> = on_pool!(&self.db, |pool| sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter().map(VerificationKey::try_from).collect()
    }
}

impl AppScope<'_> {
    /// The newest key that is neither retired nor revoked.
    pub async fn active_signing_key(&self) -> Result<Option<SigningKey>> {
        let sql = "SELECT kid, private_der FROM app_signing_keys \
                   WHERE app_id = $1 AND retired_at IS NULL AND revoked_at IS NULL \
                   ORDER BY created_at DESC, kid DESC LIMIT 1";
        let row: Option<(String, Vec<u8>)> =
            on_pool!(self.db(), |pool| { sqlx::query_as(sql).bind(self.id()).fetch_optional(pool).await? });
        row.map(|(kid, private_der)| {
            Ok(SigningKey {
                kid: kid.parse().map_err(|e: crate::IdError| StoreError::Corrupt {
                    column: "app_signing_keys.kid",
                    reason: e.to_string(),
                })?,
                private_der,
            })
        })
        .transpose()
    }

    /// Makes `key` the active signing key. Older keys are retired (their tokens
    /// still verify until they expire) or, with `revoke_previous`, revoked (their
    /// tokens stop verifying at once).
    pub async fn rotate_signing_key(&self, key: &NewSigningKey, revoke_previous: bool) -> Result<()> {
        let now = now_ms();
        let retire = if revoke_previous {
            "UPDATE app_signing_keys SET retired_at = COALESCE(retired_at, $2), revoked_at = $2 \
             WHERE app_id = $1 AND revoked_at IS NULL"
        } else {
            "UPDATE app_signing_keys SET retired_at = $2 WHERE app_id = $1 AND retired_at IS NULL"
        };
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(retire).bind(self.id()).bind(now).execute(&mut *tx).await?;
            bind_key!(sqlx::query(INSERT_KEY), self.app_id, key, now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
