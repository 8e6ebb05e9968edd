//! Objects users make outside chat messages — posts, stories and reels — in
//! the common envelope of DESIGN.md (id, kind, owner, visibility, optional
//! conversation, timestamps, optional expiry, payload), with their likes,
//! threaded comments, views and the feeds built from them.
//!
//! Who sees an object (one SQL predicate, [`visible!`], used by every read):
//! its owner always; nobody who blocked or was blocked by the owner; and
//! otherwise by visibility — `public`: every user of the app; `followers`: users
//! who follow the owner; `close_friends`: users on the owner's close-friends
//! list; `conversation`: members of its conversation; `private`: the owner
//! only. Expired objects (stories after 24 h) are seen by their owner only.
//! Another app sees nothing: every query binds the app id.

mod engage;
mod feeds;

use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use crate::files::Attachment;
use crate::{AppScope, BeginWrite, ConversationId, FileId, ObjectId, Result, StoreError, UserId, now_ms, on_pool, ts};

pub use engage::{Comment, CommentPage, Viewer};
pub use feeds::{ExploreSort, StoryRing};

/// How long a story lives.
pub const STORY_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// Media files on one post.
pub const MAX_MEDIA: usize = 10;
/// Characters of a post's text or a reel's caption.
pub const MAX_TEXT: usize = 5000;

/// The SQL condition "object `o` is visible to the user bound at `$viewer` at
/// time `$now`". Both are placeholder numbers of the query using it.
macro_rules! visible {
    ($viewer:literal, $now:literal) => {
        concat!(
            "(o.owner_id = $", $viewer, " OR (",
            "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.app_id = o.app_id AND ((b.blocker = o.owner_id AND b.blocked = $", $viewer, ") ",
            "OR (b.blocker = $", $viewer, " AND b.blocked = o.owner_id))) ",
            "AND (o.expires_at IS NULL OR o.expires_at > $", $now, ") ",
            "AND (o.visibility = 'public' ",
            "OR (o.visibility = 'followers' AND EXISTS (SELECT 1 FROM follows f WHERE f.app_id = o.app_id AND f.follower = $", $viewer, " AND f.followee = o.owner_id)) ",
            "OR (o.visibility = 'close_friends' AND EXISTS (SELECT 1 FROM close_friends c WHERE c.app_id = o.app_id AND c.user_id = o.owner_id AND c.friend_id = $", $viewer, ")) ",
            "OR (o.visibility = 'conversation' AND EXISTS (SELECT 1 FROM members m WHERE m.app_id = o.app_id AND m.conversation_id = o.conversation_id AND m.user_id = $", $viewer, ")))))"
        )
    };
}
pub(crate) use visible;

/// The columns of an [`Object`] row, with the viewer's like and view at `$viewer`.
macro_rules! object_columns {
    ($viewer:literal) => {
        concat!(
            "o.id, o.kind, o.owner_id, o.visibility, o.conversation_id, o.payload, o.created_at, o.updated_at, o.expires_at, ",
            "o.like_count, o.comment_count, o.view_count, o.share_count, ",
            "EXISTS (SELECT 1 FROM object_likes l WHERE l.app_id = o.app_id AND l.object_id = o.id AND l.user_id = $", $viewer, "), ",
            "EXISTS (SELECT 1 FROM object_views v WHERE v.app_id = o.app_id AND v.object_id = o.id AND v.user_id = $", $viewer, ")"
        )
    };
}
pub(crate) use object_columns;

/// What an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// Text and media.
    Post,
    /// One photo or video (or text), gone after 24 hours.
    Story,
    /// One video with a caption.
    Reel,
}

impl ObjectKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Post => "post",
            ObjectKind::Story => "story",
            ObjectKind::Reel => "reel",
        }
    }
}

impl FromStr for ObjectKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "post" => Ok(ObjectKind::Post),
            "story" => Ok(ObjectKind::Story),
            "reel" => Ok(ObjectKind::Reel),
            _ => Err(StoreError::Invalid {
                code: "invalid_kind",
                message: format!("unknown object kind `{s}`: post, story or reel"),
            }),
        }
    }
}

/// Who may see an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The owner only.
    Private,
    /// Members of the object's conversation.
    Conversation,
    /// Users who follow the owner.
    Followers,
    /// The owner's close friends.
    CloseFriends,
    /// Every user of the app.
    Public,
}

impl Visibility {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Conversation => "conversation",
            Visibility::Followers => "followers",
            Visibility::CloseFriends => "close_friends",
            Visibility::Public => "public",
        }
    }
}

impl FromStr for Visibility {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "private" => Ok(Visibility::Private),
            "conversation" => Ok(Visibility::Conversation),
            "followers" => Ok(Visibility::Followers),
            "close_friends" => Ok(Visibility::CloseFriends),
            "public" => Ok(Visibility::Public),
            _ => Err(StoreError::Invalid {
                code: "invalid_visibility",
                message: "visibility must be private, conversation, followers, close_friends or public".into(),
            }),
        }
    }
}

/// Counters of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectStats {
    /// Likes.
    pub likes: i64,
    /// Comments (replies included).
    pub comments: i64,
    /// Distinct viewers (stories and reels).
    pub views: i64,
    /// Shares into chats.
    pub shares: i64,
}

/// An object in the common envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object {
    /// Id.
    pub id: ObjectId,
    /// Kind.
    pub kind: ObjectKind,
    /// Who made it.
    pub owner_id: UserId,
    /// Who may see it.
    pub visibility: Visibility,
    /// Its conversation (visibility `conversation`).
    pub conversation_id: Option<ConversationId>,
    /// Kind-specific content: `text`, `media` (file summaries), `custom`.
    pub payload: Value,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// RFC 3339.
    #[serde(with = "ts")]
    pub updated_at: i64,
    /// RFC 3339; stories only.
    #[serde(with = "ts::opt")]
    pub expires_at: Option<i64>,
    /// Counters.
    pub stats: ObjectStats,
    /// The reader liked it.
    pub liked: bool,
    /// The reader viewed it.
    pub viewed: bool,
}

/// A new object.
#[derive(Debug, Clone)]
pub struct NewObject {
    /// Kind.
    pub kind: ObjectKind,
    /// Who may see it.
    pub visibility: Visibility,
    /// Required for visibility `conversation` (the owner must be a member).
    pub conversation_id: Option<ConversationId>,
    /// Post text or reel caption (up to [`MAX_TEXT`] characters).
    pub text: Option<String>,
    /// The owner's uploaded files: up to [`MAX_MEDIA`] images or videos for a
    /// post, one video for a reel, at most one image or video for a story.
    pub media: Vec<FileId>,
    /// Free-form JSON kept with the object.
    pub custom: Option<Value>,
}

/// A page of objects, newest first (or most popular first).
pub type ObjectPage = crate::Page<Object>;

impl crate::Listed for Object {
    const ITEMS: &'static str = "objects";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

/// Filters of an object listing.
#[derive(Debug, Clone, Default)]
pub struct ObjectFilter {
    /// One kind.
    pub kind: Option<ObjectKind>,
    /// One owner.
    pub owner: Option<UserId>,
    /// One conversation.
    pub conversation: Option<ConversationId>,
    /// One visibility.
    pub visibility: Option<Visibility>,
}

pub(crate) type ObjectRow =
    (String, String, String, String, Option<String>, String, i64, i64, Option<i64>, i64, i64, i64, i64, bool, bool);

pub(crate) use crate::parse_column as parse;
pub(crate) use crate::time_cursor;

pub(crate) fn object(row: ObjectRow) -> Result<Object> {
    Ok(Object {
        id: parse("objects.id", &row.0)?,
        kind: row.1.parse()?,
        owner_id: parse("objects.owner_id", &row.2)?,
        visibility: row.3.parse()?,
        conversation_id: row.4.as_deref().map(|c| parse("objects.conversation_id", c)).transpose()?,
        payload: serde_json::from_str(&row.5)
            .map_err(|e| StoreError::Corrupt { column: "objects.payload", reason: e.to_string() })?,
        created_at: row.6,
        updated_at: row.7,
        expires_at: row.8,
        stats: ObjectStats { likes: row.9, comments: row.10, views: row.11, shares: row.12 },
        liked: row.13,
        viewed: row.14,
    })
}

/// The page and its next cursor from `limit + 1` rows.
pub(crate) fn page(rows: Vec<ObjectRow>, limit: i64) -> Result<ObjectPage> {
    let (rows, more) = crate::cut(rows, limit);
    let objects = rows.into_iter().map(object).collect::<Result<Vec<_>>>()?;
    Ok(ObjectPage::after(objects, more))
}

fn invalid(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid { code, message: message.into() }
}

fn check_media(kind: ObjectKind, text: Option<&str>, media: &[Attachment]) -> Result<()> {
    let is_video = |a: &Attachment| a.content_type.starts_with("video/");
    let is_visual = |a: &Attachment| is_video(a) || a.content_type.starts_with("image/");
    if let Some(bad) = media.iter().find(|a| !is_visual(a)) {
        return Err(invalid(
            "unsupported_media_type",
            format!("`{}` is {}; objects carry images and videos", bad.name, bad.content_type),
        ));
    }
    match kind {
        ObjectKind::Post if media.len() > MAX_MEDIA => {
            Err(invalid("too_many_media", format!("a post carries at most {MAX_MEDIA} media files")))
        }
        ObjectKind::Post if media.is_empty() && text.is_none_or(|t| t.trim().is_empty()) => {
            Err(invalid("empty_object", "a post needs text or media"))
        }
        ObjectKind::Reel if media.len() != 1 || !is_video(&media[0]) => {
            Err(invalid("invalid_media", "a reel carries exactly one video"))
        }
        ObjectKind::Story if media.len() > 1 => Err(invalid("invalid_media", "a story carries one image or video")),
        ObjectKind::Story if media.is_empty() && text.is_none_or(|t| t.trim().is_empty()) => {
            Err(invalid("empty_object", "a story needs media or text"))
        }
        _ => Ok(()),
    }
}

impl AppScope<'_> {
    /// Creates an object owned by `owner`. Media must be files `owner` uploaded;
    /// once posted they are readable by whoever may see the object.
    pub async fn create_object(&self, owner: &UserId, new: &NewObject) -> Result<Object> {
        let text = new.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_TEXT) {
            return Err(invalid("text_too_long", format!("text is limited to {MAX_TEXT} characters")));
        }
        if new.custom.as_ref().is_some_and(|c| !c.is_object()) {
            return Err(invalid("invalid_custom", "custom must be a JSON object"));
        }
        match (new.visibility, new.conversation_id) {
            (Visibility::Conversation, None) => {
                return Err(invalid("invalid_visibility", "visibility `conversation` needs a conversation_id"));
            }
            (v, Some(_)) if v != Visibility::Conversation => {
                return Err(invalid("invalid_visibility", "a conversation_id needs visibility `conversation`"));
            }
            _ => {}
        }
        if new.media.len() > MAX_MEDIA {
            return Err(invalid("too_many_media", format!("at most {MAX_MEDIA} media files")));
        }
        let mut media = Vec::with_capacity(new.media.len());
        for file in &new.media {
            let meta = self.file_for(*file, owner).await?;
            if meta.uploader_id != *owner {
                return Err(StoreError::NotFound { what: "file" });
            }
            media.push(meta.attachment());
        }
        check_media(new.kind, text, &media)?;
        let mut payload = serde_json::Map::new();
        if let Some(t) = text {
            payload.insert("text".into(), Value::String(t.to_owned()));
        }
        payload.insert("media".into(), serde_json::to_value(&media).unwrap_or(Value::Array(Vec::new())));
        if let Some(c) = &new.custom {
            payload.insert("custom".into(), c.clone());
        }
        let payload = Value::Object(payload);
        let id = ObjectId::generate();
        let now = now_ms();
        let expires_at = (new.kind == ObjectKind::Story).then_some(now + STORY_TTL_MS);
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(conv) = new.conversation_id {
                crate::require_conversation!(&mut *tx, &app, conv, owner);
            }
            sqlx::query(
                "INSERT INTO objects (app_id, id, kind, owner_id, visibility, conversation_id, payload, created_at, \
                 updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
            )
            .bind(&app)
            .bind(id.to_string())
            .bind(new.kind.as_str())
            .bind(owner.as_str())
            .bind(new.visibility.as_str())
            .bind(new.conversation_id.map(|c| c.to_string()))
            .bind(payload.to_string())
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            for m in &media {
                sqlx::query(
                    "INSERT INTO object_files (app_id, object_id, file_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(&app)
                .bind(id.to_string())
                .bind(m.id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(Object {
            id,
            kind: new.kind,
            owner_id: owner.clone(),
            visibility: new.visibility,
            conversation_id: new.conversation_id,
            payload,
            created_at: now,
            updated_at: now,
            expires_at,
            stats: ObjectStats { likes: 0, comments: 0, views: 0, shares: 0 },
            liked: false,
            viewed: false,
        })
    }

    /// The object if `viewer` may see it, else `NotFound` (existence is not revealed).
    pub async fn object_for(&self, id: ObjectId, viewer: &UserId) -> Result<Object> {
        let row: Option<ObjectRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                object_columns!(3),
                " FROM objects o WHERE o.app_id = $1 AND o.id = $2 AND ",
                visible!(3, 4)
            ))
            .bind(self.id())
            .bind(id.to_string())
            .bind(viewer.as_str())
            .bind(now_ms())
            .fetch_optional(pool)
            .await?
        });
        row.map(object).transpose()?.ok_or(StoreError::NotFound { what: "object" })
    }

    /// The object whoever asks (the client backend's admin read).
    pub async fn object_admin(&self, id: ObjectId) -> Result<Object> {
        let row: Option<ObjectRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!("SELECT ", object_columns!(3), " FROM objects o WHERE o.app_id = $1 AND o.id = $2"))
                .bind(self.id())
                .bind(id.to_string())
                .bind("")
                .fetch_optional(pool)
                .await?
        });
        row.map(object).transpose()?.ok_or(StoreError::NotFound { what: "object" })
    }

    /// Deletes an object (its owner only; others get `NotFound`).
    pub async fn delete_object(&self, id: ObjectId, owner: &UserId) -> Result<()> {
        let done = on_pool!(self.db(), |pool| {
            sqlx::query("DELETE FROM objects WHERE app_id = $1 AND id = $2 AND owner_id = $3")
                .bind(self.id())
                .bind(id.to_string())
                .bind(owner.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound { what: "object" });
        }
        Ok(())
    }

    /// Objects matching `filter` that `viewer` may see — or, with no viewer
    /// (the admin API), all of them — newest first.
    pub async fn list_objects(
        &self,
        viewer: Option<&UserId>,
        filter: &ObjectFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<ObjectPage> {
        let (before_at, before_id) = time_cursor(cursor)?;
        // The leading condition picks the index: an equality on what is
        // filtered, then newest first along it (the LIMIT stops the scan early).
        macro_rules! list_sql {
            ($lead:literal) => {
                concat!(
                    "SELECT ",
                    object_columns!(2),
                    " FROM objects o WHERE o.app_id = $1 AND ",
                    $lead,
                    " AND ($3 OR ",
                    visible!(2, 4),
                    ") AND ($5 = '' OR o.kind = $5) AND ($6 = '' OR o.owner_id = $6) \
                     AND ($7 = '' OR o.conversation_id = $7) AND ($8 = '' OR o.visibility = $8) \
                     AND o.created_at <= $9 AND (o.created_at < $9 OR o.id < $10) \
                     ORDER BY o.created_at DESC, o.id DESC LIMIT $11"
                )
            };
        }
        let sql = if filter.owner.is_some() {
            list_sql!("o.owner_id = $6")
        } else if filter.conversation.is_some() {
            list_sql!("o.conversation_id = $7")
        } else if filter.kind.is_some() {
            list_sql!("o.kind = $5")
        } else {
            list_sql!("o.app_id = $1")
        };
        let rows: Vec<ObjectRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(sql)
                .bind(self.id())
                .bind(viewer.map(UserId::as_str).unwrap_or(""))
                .bind(viewer.is_none())
                .bind(now_ms())
                .bind(filter.kind.map(ObjectKind::as_str).unwrap_or(""))
                .bind(filter.owner.as_ref().map(UserId::as_str).unwrap_or(""))
                .bind(filter.conversation.map(|c| c.to_string()).unwrap_or_default())
                .bind(filter.visibility.map(Visibility::as_str).unwrap_or(""))
                .bind(before_at)
                .bind(before_id)
                .bind(limit + 1)
                .fetch_all(pool)
                .await?
        });
        page(rows, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(content_type: &str) -> Attachment {
        Attachment {
            id: FileId::generate(),
            name: "f".into(),
            content_type: content_type.into(),
            size: 1,
            width: None,
            height: None,
        }
    }

    #[test]
    fn media_rules_per_kind() {
        assert!(check_media(ObjectKind::Post, Some("hi"), &[]).is_ok());
        assert!(check_media(ObjectKind::Post, None, &[att("image/png")]).is_ok());
        assert!(check_media(ObjectKind::Post, Some(" "), &[]).is_err());
        assert!(check_media(ObjectKind::Post, None, &[att("application/pdf")]).is_err());
        assert!(check_media(ObjectKind::Reel, Some("c"), &[att("video/mp4")]).is_ok());
        assert!(check_media(ObjectKind::Reel, Some("c"), &[att("image/png")]).is_err());
        assert!(check_media(ObjectKind::Reel, Some("c"), &[]).is_err());
        assert!(check_media(ObjectKind::Story, None, &[att("image/jpeg")]).is_ok());
        assert!(check_media(ObjectKind::Story, None, &[att("image/jpeg"), att("image/png")]).is_err());
    }

    #[test]
    fn kinds_and_visibilities_round_trip() {
        for k in [ObjectKind::Post, ObjectKind::Story, ObjectKind::Reel] {
            assert_eq!(k.as_str().parse::<ObjectKind>().expect("kind"), k);
        }
        for v in [
            Visibility::Private,
            Visibility::Conversation,
            Visibility::Followers,
            Visibility::CloseFriends,
            Visibility::Public,
        ] {
            assert_eq!(v.as_str().parse::<Visibility>().expect("visibility"), v);
        }
        assert!("task".parse::<ObjectKind>().is_err());
    }
}
