//! Wire types that several features share: users as the API shows them, timestamps.

use caas_storage::User;
use serde::Serialize;
use utoipa::ToSchema;

/// An end user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    /// The id the client app gave this user.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Avatar picture URL.
    pub avatar_url: Option<String>,
    /// Free-form JSON object shared by the client app.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        UserBody {
            id: u.id.to_string(),
            name: u.name,
            avatar_url: u.avatar_url,
            metadata: u.metadata,
            created_at: rfc3339_ms(u.created_at),
            updated_at: rfc3339_ms(u.updated_at),
        }
    }
}

/// Formats milliseconds since the epoch as RFC 3339 (UTC).
pub fn rfc3339_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    rfc3339(t)
}

/// Formats a time as RFC 3339.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
