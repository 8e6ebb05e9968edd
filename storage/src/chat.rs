//! Conversations, members, messages and the persistent event log of chat.
//!
//! Every write that produces a persistent event takes the app's next event id in
//! the same transaction (see `app_counters` in the migration), so an app's event
//! ids are dense and commit in order. Every conversation has its own strictly
//! increasing message `seq`, taken under the conversation's row lock.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::Serialize;
use sqlx::FromRow;

use crate::{
    AppScope, BeginWrite, ConversationId, MessageId, Result, StoreError, UserId, now_ms, on_pool,
    ts,
};

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
    /// RFC 3339 on the wire.
    #[serde(with = "ts")]
    pub created_at: i64,
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
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Idempotency key: a resend with the same key returns the original.
    pub client_msg_id: Option<String>,
    /// Text.
    pub text: String,
    /// Custom JSON payload.
    pub payload: Option<serde_json::Value>,
}

fn corrupt(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        reason: format!("unexpected value `{value}`"),
    }
}

fn parse<T: FromStr>(column: &'static str, v: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e: T::Err| StoreError::Corrupt {
        column,
        reason: e.to_string(),
    })
}

fn json(column: &'static str, v: &str) -> Result<serde_json::Value> {
    serde_json::from_str(v).map_err(|e| StoreError::Corrupt {
        column,
        reason: e.to_string(),
    })
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
            members: members
                .into_iter()
                .map(MemberRow::into_member)
                .collect::<Result<_>>()?,
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
            payload: r
                .payload
                .as_deref()
                .map(|p| json("messages.payload", p))
                .transpose()?,
            created_at: r.created_at,
        })
    }
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Event> {
        Ok(Event {
            id: r.id,
            conversation_id: r
                .conversation_id
                .as_deref()
                .map(|c| parse("events.conversation_id", c))
                .transpose()?,
            target_user: r
                .target_user
                .as_deref()
                .map(|u| parse("events.target_user", u))
                .transpose()?,
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
        "id, conversation_id, seq, sender_id, client_msg_id, text, payload, created_at"
    };
}
macro_rules! event_columns {
    () => {
        "id, conversation_id, target_user, kind, data, created_at"
    };
}

const NEXT_EVENT_ID: &str = "INSERT INTO app_counters (app_id, last_event) VALUES ($1, 1) \
     ON CONFLICT (app_id) DO UPDATE SET last_event = app_counters.last_event + 1 RETURNING last_event";
const INSERT_EVENT: &str = "INSERT INTO events (app_id, id, conversation_id, target_user, kind, data, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const SELECT_MEMBERS: &str = "SELECT user_id, role, joined_at, last_read_seq FROM members WHERE app_id = $1 AND conversation_id = $2 ORDER BY joined_at, user_id";

/// Appends an event in the open transaction `$tx`; evaluates to the `Event`.
macro_rules! append_event {
    ($tx:expr, $app:expr, $conv:expr, $target:expr, $kind:expr, $data:expr, $now:expr) => {{
        let (id,): (i64,) = sqlx::query_as(NEXT_EVENT_ID)
            .bind($app)
            .fetch_one(&mut *$tx)
            .await?;
        let data: serde_json::Value = $data;
        sqlx::query(INSERT_EVENT)
            .bind($app)
            .bind(id)
            .bind($conv.map(|c: ConversationId| c.to_string()))
            .bind($target.map(|u: &UserId| u.as_str().to_owned()))
            .bind($kind)
            .bind(data.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        Event {
            id,
            conversation_id: $conv,
            target_user: $target.cloned(),
            kind: $kind.to_owned(),
            data,
            created_at: $now,
        }
    }};
}

/// Looks up the caller's membership in the open transaction or pool `$ex`:
/// `NotFound` if the conversation does not exist in this app, `Forbidden` if the
/// caller is not a member.
macro_rules! require_member {
    ($ex:expr, $app:expr, $conv:expr, $user:expr) => {{
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT kind FROM conversations WHERE app_id = $1 AND id = $2")
                .bind($app)
                .bind($conv.to_string())
                .fetch_optional($ex)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "conversation",
            });
        }
        let role: Option<(String,)> = sqlx::query_as(
            "SELECT role FROM members WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3",
        )
        .bind($app)
        .bind($conv.to_string())
        .bind($user.as_str())
        .fetch_optional($ex)
        .await?;
        match role {
            Some((r,)) => r.parse::<Role>()?,
            None => {
                return Err(StoreError::Forbidden(
                    "you are not a member of this conversation".into(),
                ));
            }
        }
    }};
}

impl AppScope<'_> {
    /// Creates a conversation. A direct conversation that already exists for the
    /// pair is returned instead (`false`), race-free under concurrent creates.
    /// Returns the conversation and, when created, its `conversation.created` event.
    pub async fn create_conversation(
        &self,
        new: &NewConversation,
    ) -> Result<(Conversation, Option<Event>)> {
        let others: BTreeSet<&UserId> = new.members.iter().filter(|m| **m != new.creator).collect();
        let direct_key = match new.kind {
            ConversationKind::Direct => {
                if others.len() != 1 || new.members.len() != 1 {
                    return Err(StoreError::Invalid {
                        code: "invalid_members",
                        message: "a direct conversation has exactly one other member".into(),
                    });
                }
                let other = others.iter().next().map(|u| u.as_str()).unwrap_or_default();
                let (a, b) = if new.creator.as_str() < other {
                    (new.creator.as_str(), other)
                } else {
                    (other, new.creator.as_str())
                };
                // A space cannot occur in a user id, so the key names the pair unambiguously.
                Some(format!("{a} {b}"))
            }
            ConversationKind::Group => {
                if others.len() + 1 > new.max_members {
                    return Err(StoreError::Invalid {
                        code: "too_many_members",
                        message: format!("a group has at most {} members", new.max_members),
                    });
                }
                None
            }
        };
        let app = self.id();
        let now = now_ms();
        let id = ConversationId::generate();
        let custom = new
            .custom
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "{}".into());
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            for user in others.iter().copied().chain(std::iter::once(&new.creator)) {
                let found: Option<(String,)> =
                    sqlx::query_as("SELECT id FROM users WHERE app_id = $1 AND id = $2")
                        .bind(&app)
                        .bind(user.as_str())
                        .fetch_optional(&mut *tx)
                        .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound { what: "user" });
                }
            }
            let inserted = sqlx::query(
                    "INSERT INTO conversations (app_id, id, kind, direct_key, name, avatar_url, description, custom, \
                     created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                     ON CONFLICT (app_id, direct_key) DO NOTHING",
                )
                .bind(&app)
                .bind(id.to_string())
                .bind(new.kind.as_str())
                .bind(direct_key.as_deref())
                .bind(new.name.as_deref())
                .bind(new.avatar_url.as_deref())
                .bind(new.description.as_deref())
                .bind(&custom)
                .bind(new.creator.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 0 {
                let row: ConversationRow = sqlx::query_as(concat!(
                    "SELECT ",
                    conversation_columns!(),
                    " FROM conversations WHERE app_id = $1 AND direct_key = $2"
                ))
                .bind(&app)
                .bind(direct_key.as_deref())
                .fetch_one(&mut *tx)
                .await?;
                let members: Vec<MemberRow> = sqlx::query_as(SELECT_MEMBERS)
                    .bind(&app)
                    .bind(&row.id)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok((row.into_conversation(members)?, None))
            } else {
                let creator_role = match new.kind {
                    ConversationKind::Direct => Role::Member,
                    ConversationKind::Group => Role::Owner,
                };
                let roles = std::iter::once((&new.creator, creator_role))
                    .chain(others.iter().map(|u| (*u, Role::Member)));
                for (user, role) in roles {
                    sqlx::query(
                            "INSERT INTO members (app_id, conversation_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(&app)
                        .bind(id.to_string())
                        .bind(user.as_str())
                        .bind(role.as_str())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                let row: ConversationRow = sqlx::query_as(concat!(
                    "SELECT ",
                    conversation_columns!(),
                    " FROM conversations WHERE app_id = $1 AND id = $2"
                ))
                .bind(&app)
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?;
                let members: Vec<MemberRow> = sqlx::query_as(SELECT_MEMBERS)
                    .bind(&app)
                    .bind(id.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
                let conversation = row.into_conversation(members)?;
                let data = serde_json::json!({ "conversation": conversation });
                let event = append_event!(
                    tx,
                    &app,
                    Some(id),
                    None::<&UserId>,
                    "conversation.created",
                    data,
                    now
                );
                tx.commit().await?;
                Ok((conversation, Some(event)))
            }
        })
    }

    /// The conversation, if `user` is a member.
    pub async fn conversation(&self, id: ConversationId, user: &UserId) -> Result<Conversation> {
        let app = self.id();
        let (row, members): (ConversationRow, Vec<MemberRow>) = on_pool!(self.db(), |pool| {
            require_member!(pool, &app, id, user);
            let row: ConversationRow = sqlx::query_as(concat!(
                "SELECT ",
                conversation_columns!(),
                " FROM conversations WHERE app_id = $1 AND id = $2"
            ))
            .bind(&app)
            .bind(id.to_string())
            .fetch_one(pool)
            .await?;
            let members: Vec<MemberRow> = sqlx::query_as(SELECT_MEMBERS)
                .bind(&app)
                .bind(id.to_string())
                .fetch_all(pool)
                .await?;
            (row, members)
        });
        row.into_conversation(members)
    }

    /// The user ids of a conversation's members.
    pub async fn member_ids(&self, id: ConversationId) -> Result<Vec<UserId>> {
        let rows: Vec<(String,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT user_id FROM members WHERE app_id = $1 AND conversation_id = $2")
                .bind(self.id())
                .bind(id.to_string())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(u,)| parse("members.user_id", &u))
            .collect()
    }

    /// Sends a message as `sender`. With a `client_msg_id` already used by this
    /// sender in this conversation, returns the original message and no event.
    pub async fn send_message(
        &self,
        conv: ConversationId,
        sender: &UserId,
        new: &NewMessage,
    ) -> Result<(Message, Option<Event>)> {
        match self.try_send(conv, sender, new).await {
            // Two concurrent sends with the same client id: the loser finds the winner's message.
            Err(e) if e.is_unique_violation() && new.client_msg_id.is_some() => {
                let found = self
                    .message_by_client_id(
                        conv,
                        sender,
                        new.client_msg_id.as_deref().unwrap_or_default(),
                    )
                    .await?;
                found.map(|m| (m, None)).ok_or(e)
            }
            other => other,
        }
    }

    async fn message_by_client_id(
        &self,
        conv: ConversationId,
        sender: &UserId,
        client_msg_id: &str,
    ) -> Result<Option<Message>> {
        let row: Option<MessageRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE app_id = $1 AND conversation_id = $2 AND sender_id = $3 AND client_msg_id = $4"
            ))
            .bind(self.id())
            .bind(conv.to_string())
            .bind(sender.as_str())
            .bind(client_msg_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(Message::try_from).transpose()
    }

    async fn try_send(
        &self,
        conv: ConversationId,
        sender: &UserId,
        new: &NewMessage,
    ) -> Result<(Message, Option<Event>)> {
        let app = self.id();
        let now = now_ms();
        let id = MessageId::generate();
        let payload = new.payload.as_ref().map(|p| p.to_string());
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            require_member!(&mut *tx, &app, conv, sender);
            if let Some(cid) = &new.client_msg_id {
                let existing: Option<MessageRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages WHERE app_id = $1 AND conversation_id = $2 AND sender_id = $3 AND client_msg_id = $4"
                ))
                .bind(&app)
                .bind(conv.to_string())
                .bind(sender.as_str())
                .bind(cid)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = existing {
                    tx.commit().await?;
                    return Ok((Message::try_from(row)?, None));
                }
            }
            let (seq,): (i64,) = sqlx::query_as(
                "UPDATE conversations SET last_seq = last_seq + 1, last_message_at = $3, updated_at = $3 \
                 WHERE app_id = $1 AND id = $2 RETURNING last_seq",
            )
            .bind(&app)
            .bind(conv.to_string())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO messages (app_id, conversation_id, seq, id, sender_id, client_msg_id, text, payload, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&app)
            .bind(conv.to_string())
            .bind(seq)
            .bind(id.to_string())
            .bind(sender.as_str())
            .bind(new.client_msg_id.as_deref())
            .bind(&new.text)
            .bind(payload.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let message = Message {
                id,
                conversation_id: conv,
                seq,
                sender_id: sender.clone(),
                client_msg_id: new.client_msg_id.clone(),
                text: new.text.clone(),
                payload: new.payload.clone(),
                created_at: now,
            };
            let data = serde_json::json!({ "message": message });
            let event = append_event!(
                tx,
                &app,
                Some(conv),
                None::<&UserId>,
                "message.new",
                data,
                now
            );
            tx.commit().await?;
            Ok((message, Some(event)))
        })
    }

    /// Up to `limit` messages before `before_seq` (or the newest), oldest first.
    pub async fn history(
        &self,
        conv: ConversationId,
        user: &UserId,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let app = self.id();
        let before = before_seq.unwrap_or(i64::MAX);
        let mut rows: Vec<MessageRow> = on_pool!(self.db(), |pool| {
            require_member!(pool, &app, conv, user);
            sqlx::query_as(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE app_id = $1 AND conversation_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"
            ))
            .bind(&app)
            .bind(conv.to_string())
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.reverse();
        rows.into_iter().map(Message::try_from).collect()
    }

    /// The newest event id of the app (0 if none).
    pub async fn last_event_id(&self) -> Result<i64> {
        let row: Option<(i64,)> = on_pool!(self.db(), |pool| {
            sqlx::query_as("SELECT last_event FROM app_counters WHERE app_id = $1")
                .bind(self.id())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(n,)| n).unwrap_or(0))
    }

    /// Events visible to `user` with `after < id < below`, in id order, at most `limit`.
    pub async fn events_for_user(
        &self,
        user: &UserId,
        after: i64,
        below: i64,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events e WHERE e.app_id = $1 AND e.id > $3 AND e.id < $4 AND (e.target_user = $2 OR EXISTS \
                 (SELECT 1 FROM members m WHERE m.app_id = e.app_id AND m.conversation_id = e.conversation_id AND m.user_id = $2)) \
                 ORDER BY e.id LIMIT $5"
            ))
            .bind(self.id())
            .bind(user.as_str())
            .bind(after)
            .bind(below)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Event::try_from).collect()
    }

    /// Events with `from <= id < to`, in id order, each with its recipients now.
    pub async fn events_range(&self, from: i64, to: i64) -> Result<Vec<(Event, Vec<UserId>)>> {
        let rows: Vec<EventRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events WHERE app_id = $1 AND id >= $2 AND id < $3 ORDER BY id"
            ))
            .bind(self.id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let event = Event::try_from(row)?;
            let recipients = match (&event.conversation_id, &event.target_user) {
                (_, Some(u)) => vec![u.clone()],
                (Some(c), None) => self.member_ids(*c).await?,
                (None, None) => Vec::new(),
            };
            out.push((event, recipients));
        }
        Ok(out)
    }
}
