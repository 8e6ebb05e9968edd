//! Typed identifiers. Parse them at the edge; past it, an id is always valid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is not a UUID.
    #[error("{kind} must be a UUID")]
    NotUuid {
        /// Which id was being parsed.
        kind: &'static str,
    },
    /// The string is empty or longer than the limit.
    #[error("user id must be 1 to {max} characters long")]
    Length {
        /// The longest id accepted.
        max: usize,
    },
    /// The string holds a character outside the allowed set.
    #[error("user id may contain only letters, digits and . _ - ~ : @ + | =")]
    Charset,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-sortable (UUIDv7) id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// The id as a UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdError::NotUuid { kind: $kind })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A client app (tenant).
    AppId,
    "app id"
);
uuid_id!(
    /// A conversation (direct or group).
    ConversationId,
    "conversation id"
);
uuid_id!(
    /// A chat message.
    MessageId,
    "message id"
);
uuid_id!(
    /// An uploaded file.
    FileId,
    "file id"
);
uuid_id!(
    /// A collaborative document (whiteboard or doc).
    DocId,
    "document id"
);
uuid_id!(
    /// A named version of a document.
    VersionId,
    "version id"
);
uuid_id!(
    /// An object of the feeds: a post, story or reel.
    ObjectId,
    "object id"
);
uuid_id!(
    /// A calendar event.
    EventId,
    "event id"
);
uuid_id!(
    /// A task.
    TaskId,
    "task id"
);
uuid_id!(
    /// A comment (on an object or on a task).
    CommentId,
    "comment id"
);
uuid_id!(
    /// An in-app notification.
    NotificationId,
    "notification id"
);
uuid_id!(
    /// A webhook endpoint of an app.
    WebhookId,
    "webhook id"
);
uuid_id!(
    /// One delivery of an event to a webhook (stable across retries).
    DeliveryId,
    "delivery id"
);
uuid_id!(
    /// A developer account of the client console.
    AccountId,
    "account id"
);
uuid_id!(
    /// A team of developer accounts that owns client apps.
    TeamId,
    "team id"
);
uuid_id!(
    /// A session-token signing key (the JWT `kid`).
    KeyId,
    "key id"
);

/// An end user's id inside one app, chosen by the client app (its own user id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// The longest user id accepted.
    pub const MAX_LEN: usize = 128;

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn allowed(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~' | ':' | '@' | '+' | '|' | '=')
    }
}

impl FromStr for UserId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(IdError::Length { max: Self::MAX_LEN });
        }
        if !s.chars().all(Self::allowed) {
            return Err(IdError::Charset);
        }
        Ok(Self(s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_validated() {
        assert!("u-42".parse::<UserId>().is_ok());
        assert!("ann@example.com".parse::<UserId>().is_ok());
        assert_eq!("".parse::<UserId>(), Err(IdError::Length { max: 128 }));
        assert_eq!("a".repeat(129).parse::<UserId>(), Err(IdError::Length { max: 128 }));
        assert_eq!("a b".parse::<UserId>(), Err(IdError::Charset));
        assert_eq!("a/b".parse::<UserId>(), Err(IdError::Charset));
    }

    #[test]
    fn app_ids_round_trip_and_sort_by_time() {
        let a = AppId::generate();
        let b = AppId::generate();
        assert!(a < b);
        assert_eq!(a.to_string().parse::<AppId>(), Ok(a));
        assert!("nope".parse::<AppId>().is_err());
    }
}
