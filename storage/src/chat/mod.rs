//! Conversations, members, messages and the persistent event log of chat:
//! the types and row mappings here, the queries in the submodules.
//!
//! Every write that produces a persistent event takes the app's next event id in
//! the same transaction (see `app_counters` in the migration), so an app's event
//! ids are dense and commit in order. Every conversation has its own strictly
//! increasing message `seq`, taken under the conversation's row lock.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::Serialize;
use sqlx::FromRow;

use crate::{AppScope, BeginWrite, ConversationId, MessageId, Result, StoreError, UserId, now_ms, on_pool, ts};

/// Direct (exactly two users) or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    /// One per pair of users.
    Direct,
    /// Named, with roles.
    Group,
}

impl ConversationKind {
    fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
        }
    }
}

impl FromStr for ConversationKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "direct" => Ok(ConversationKind::Direct),
            "group" => Ok(ConversationKind::Group),
            other => Err(corrupt("conversations.kind", other)),
        }
    }
}

/// A member's role in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Created the group (or was handed it); one per group.
    Owner,
    /// May manage members.
    Admin,
    /// Takes part.
    Member,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

impl FromStr for Role {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(corrupt("members.role", other)),
        }
    }
}

/// A conversation with its members.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// Id.
    pub id: ConversationId,
    /// Direct or group.
    pub kind: ConversationKind,
    /// Group name.
    pub name: Option<String>,
    /// Group picture.
    pub avatar_url: Option<String>,
    /// Group description.
    pub description: Option<String>,
    /// Free-form JSON object.
    pub custom: serde_json::Value,
    /// Who created it.
    pub created_by: UserId,
    /// RFC 3339 on the wire.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// RFC 3339 on the wire.
    #[serde(with = "ts")]
    pub updated_at: i64,
    /// Seq of the newest message (0: none yet).
    pub last_seq: i64,
    /// When the newest message was sent.
    #[serde(with = "ts::opt")]
    pub last_message_at: Option<i64>,
    /// The members.
    pub members: Vec<Member>,
}

/// A member of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// The user.
    pub user_id: UserId,
    /// Role.
    pub role: Role,
    /// RFC 3339 on the wire.
    #[serde(with = "ts")]
    pub joined_at: i64,
    /// Seq of the newest message this member has read.
    pub last_read_seq: i64,
    /// The user's display name.
    pub name: Option<String>,
    /// The user's avatar.
    pub avatar_url: Option<String>,
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Position in the conversation, from 1, strictly increasing.
    pub seq: i64,
    /// Who sent it.
    pub sender_id: UserId,
    /// The sender's idempotency key, if it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// Text.
    pub text: String,
    /// Custom JSON payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
    /// The message this one quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    /// The thread this message belongs to (its root message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<MessageId>,
    /// Replies in this message's thread.
    pub reply_count: i64,
    /// Users mentioned.
    pub mentions: Vec<UserId>,
    /// Files attached.
    pub attachments: Vec<crate::files::Attachment>,
    /// RFC 3339 on the wire.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// Last edit (RFC 3339), if edited.
    #[serde(with = "ts::opt")]
    pub edited_at: Option<i64>,
    /// Deletion for everyone (RFC 3339): a tombstone whose text and payload are gone.
    #[serde(with = "ts::opt")]
    pub deleted_at: Option<i64>,
    /// When pinned (RFC 3339), if pinned.
    #[serde(with = "ts::opt")]
    pub pinned_at: Option<i64>,
    /// Reactions: counts by kind, and the viewer's own kinds.
    pub reactions: Reactions,
}

/// Reactions on a message, as one viewer sees them.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Reactions {
    /// How many users reacted with each kind.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// The kinds the viewer reacted with.
    pub mine: Vec<String>,
}

/// A persistent event, delivered live and replayed after a cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Dense, per-app, commit-ordered id (the cursor).
    pub id: i64,
    /// Delivered to this conversation's members…
    pub conversation_id: Option<ConversationId>,
    /// …or to this one user.
    pub target_user: Option<UserId>,
    /// Event name on the wire, e.g. `message.new`.
    pub kind: String,
    /// Event data on the wire.
    pub data: serde_json::Value,
    /// When it happened (ms).
    pub created_at: i64,
}

/// A conversation to create.
#[derive(Debug, Clone)]
pub struct NewConversation {
    /// Direct or group.
    pub kind: ConversationKind,
    /// The creator (owner of a group).
    pub creator: UserId,
    /// The other members (exactly one for direct).
    pub members: Vec<UserId>,
    /// Group name.
    pub name: Option<String>,
    /// Group picture.
    pub avatar_url: Option<String>,
    /// Group description.
    pub description: Option<String>,
    /// Free-form JSON object.
    pub custom: Option<serde_json::Value>,
    /// Most members a group may have.
    pub max_members: usize,
}

/// A message to send.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// The message this one quotes (same conversation).
    pub reply_to: Option<MessageId>,
    /// Post in this message's thread (same conversation).
    pub parent_id: Option<MessageId>,
    /// Users mentioned (members of the conversation).
    pub mentions: Vec<UserId>,
    /// Files to attach (the sender's own, public ones, or ones shared with them).
    pub attachments: Vec<crate::FileId>,
    /// Idempotency key: a resend with the same key returns the original.
    pub client_msg_id: Option<String>,
    /// Text.
    pub text: String,
    /// Custom JSON payload.
    pub payload: Option<serde_json::Value>,
}

fn corrupt(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt { column, reason: format!("unexpected value `{value}`") }
}

fn parse<T: FromStr>(column: &'static str, v: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e: T::Err| StoreError::Corrupt { column, reason: e.to_string() })
}

fn json(column: &'static str, v: &str) -> Result<serde_json::Value> {
    serde_json::from_str(v).map_err(|e| StoreError::Corrupt { column, reason: e.to_string() })
}

#[derive(FromRow)]
struct ConversationRow {
    id: String,
    kind: String,
    name: Option<String>,
    avatar_url: Option<String>,
    description: Option<String>,
    custom: String,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    last_seq: i64,
    last_message_at: Option<i64>,
}

#[derive(FromRow)]
struct MemberRow {
    user_id: String,
    role: String,
    joined_at: i64,
    last_read_seq: i64,
    name: Option<String>,
    avatar_url: Option<String>,
}

#[derive(FromRow)]
struct MessageRow {
    id: String,
    conversation_id: String,
    seq: i64,
    sender_id: String,
    client_msg_id: Option<String>,
    text: String,
    payload: Option<String>,
    created_at: i64,
    reply_to: Option<String>,
    parent_id: Option<String>,
    reply_count: i64,
    mentions: String,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    pinned_at: Option<i64>,
    attachments: String,
}

#[derive(FromRow)]
struct EventRow {
    id: i64,
    conversation_id: Option<String>,
    target_user: Option<String>,
    kind: String,
    data: String,
    created_at: i64,
}

impl ConversationRow {
    fn into_conversation(self, members: Vec<MemberRow>) -> Result<Conversation> {
        Ok(Conversation {
            id: parse("conversations.id", &self.id)?,
            kind: self.kind.parse()?,
            name: self.name,
            avatar_url: self.avatar_url,
            description: self.description,
            custom: json("conversations.custom", &self.custom)?,
            created_by: parse("conversations.created_by", &self.created_by)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_seq: self.last_seq,
            last_message_at: self.last_message_at,
            members: members.into_iter().map(MemberRow::into_member).collect::<Result<_>>()?,
        })
    }
}

impl MemberRow {
    fn into_member(self) -> Result<Member> {
        Ok(Member {
            user_id: parse("members.user_id", &self.user_id)?,
            role: self.role.parse()?,
            joined_at: self.joined_at,
            last_read_seq: self.last_read_seq,
            name: self.name,
            avatar_url: self.avatar_url,
        })
    }
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;
    fn try_from(r: MessageRow) -> Result<Message> {
        Ok(Message {
            id: parse("messages.id", &r.id)?,
            conversation_id: parse("messages.conversation_id", &r.conversation_id)?,
            seq: r.seq,
            sender_id: parse("messages.sender_id", &r.sender_id)?,
            client_msg_id: r.client_msg_id,
            text: r.text,
            payload: r.payload.as_deref().map(|p| json("messages.payload", p)).transpose()?,
            reply_to: r.reply_to.as_deref().map(|m| parse("messages.reply_to", m)).transpose()?,
            parent_id: r.parent_id.as_deref().map(|m| parse("messages.parent_id", m)).transpose()?,
            reply_count: r.reply_count,
            mentions: serde_json::from_str(&r.mentions)
                .map_err(|e| StoreError::Corrupt { column: "messages.mentions", reason: e.to_string() })?,
            created_at: r.created_at,
            edited_at: r.edited_at,
            deleted_at: r.deleted_at,
            pinned_at: r.pinned_at,
            reactions: Reactions::default(),
            attachments: serde_json::from_str(&r.attachments)
                .map_err(|e| StoreError::Corrupt { column: "messages.attachments", reason: e.to_string() })?,
        })
    }
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Event> {
        Ok(Event {
            id: r.id,
            conversation_id: r.conversation_id.as_deref().map(|c| parse("events.conversation_id", c)).transpose()?,
            target_user: r.target_user.as_deref().map(|u| parse("events.target_user", u)).transpose()?,
            kind: r.kind,
            data: json("events.data", &r.data)?,
            created_at: r.created_at,
        })
    }
}

macro_rules! conversation_columns {
    () => {
        "id, kind, name, avatar_url, description, custom, created_by, created_at, updated_at, last_seq, last_message_at"
    };
}
macro_rules! message_columns {
    () => {
        "id, conversation_id, seq, sender_id, client_msg_id, text, payload, created_at, reply_to, parent_id, \
         reply_count, mentions, edited_at, deleted_at, pinned_at, attachments"
    };
}
macro_rules! event_columns {
    () => {
        "id, conversation_id, target_user, kind, data, created_at"
    };
}

pub(crate) const NEXT_EVENT_ID: &str = "INSERT INTO app_counters (app_id, last_event) VALUES ($1, 1) \
     ON CONFLICT (app_id) DO UPDATE SET last_event = app_counters.last_event + 1 RETURNING last_event";
pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (app_id, id, conversation_id, target_user, kind, data, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const SELECT_MEMBERS: &str = "SELECT m.user_id, m.role, m.joined_at, m.last_read_seq, u.name, u.avatar_url FROM members m \
    LEFT JOIN users u ON u.app_id = m.app_id AND u.id = m.user_id \
    WHERE m.app_id = $1 AND m.conversation_id = $2 ORDER BY m.joined_at, m.user_id";

/// Appends an event in the open transaction `$tx`; evaluates to the `Event`.
macro_rules! append_event {
    ($tx:expr, $app:expr, $conv:expr, $target:expr, $kind:expr, $data:expr, $now:expr) => {{
        let (id,): (i64,) = sqlx::query_as($crate::chat::NEXT_EVENT_ID).bind($app).fetch_one(&mut *$tx).await?;
        let data: serde_json::Value = $data;
        sqlx::query($crate::chat::INSERT_EVENT)
            .bind($app)
            .bind(id)
            .bind($conv.map(|c: $crate::ConversationId| c.to_string()))
            .bind($target.map(|u: &$crate::UserId| u.as_str().to_owned()))
            .bind($kind)
            .bind(data.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        $crate::Event {
            id,
            conversation_id: $conv,
            target_user: $target.cloned(),
            kind: $kind.to_owned(),
            data,
            created_at: $now,
        }
    }};
}
pub(crate) use append_event;

/// Looks up the caller's membership in the open transaction or pool `$ex`:
/// `NotFound` if the conversation does not exist in this app, `Forbidden` if the
/// caller is not a member.
macro_rules! require_member {
    ($ex:expr, $app:expr, $conv:expr, $user:expr) => {{
        let exists: Option<(String,)> = sqlx::query_as("SELECT kind FROM conversations WHERE app_id = $1 AND id = $2")
            .bind($app)
            .bind($conv.to_string())
            .fetch_optional($ex)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound { what: "conversation" });
        }
        match $crate::member_role!($ex, $app, $conv, $user) {
            Some(r) => r.parse::<Role>()?,
            None => {
                return Err(StoreError::Forbidden("you are not a member of this conversation".into()));
            }
        }
    }};
}

/// Loads a conversation with its members through `$ex` (a transaction as
/// `&mut *tx`, or a pool); evaluates to `Result<Conversation>`.
macro_rules! load_conversation {
    ($ex:expr, $app:expr, $conv:expr) => {{
        let row: ConversationRow = sqlx::query_as(concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE app_id = $1 AND id = $2"
        ))
        .bind($app)
        .bind($conv.to_string())
        .fetch_one(&mut *$ex)
        .await?;
        let members: Vec<MemberRow> =
            sqlx::query_as(SELECT_MEMBERS).bind($app).bind($conv.to_string()).fetch_all(&mut *$ex).await?;
        row.into_conversation(members)
    }};
}

/// Sets a member's role in the open transaction `$tx`.
macro_rules! set_role {
    ($tx:expr, $app:expr, $conv:expr, $user:expr, $role:expr) => {
        sqlx::query("UPDATE members SET role = $4 WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3")
            .bind($app)
            .bind($conv.to_string())
            .bind($user.as_str())
            .bind($role.as_str())
            .execute(&mut *$tx)
            .await?
    };
}

mod conversations;
mod events;
mod inbox;
mod membership;
mod messages;
mod reactions;
pub(crate) mod recipients;
mod search;

pub use inbox::{ConversationSettings, InboxEntry, InboxFilter, InboxPage, LastMessage};
pub use membership::MemberChange;
pub use messages::HistoryPage;
pub use reactions::MessageChange;
pub use recipients::Members;
