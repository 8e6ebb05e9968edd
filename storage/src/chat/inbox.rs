//! A user's view of their conversations: the chat list with unread counts and
//! previews, read receipts, and per-member settings (mute, archive, pin).

use super::*;

/// Which conversations the chat list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxFilter {
    /// Everything not archived.
    #[default]
    All,
    /// Not archived, with unread messages.
    Unread,
    /// Direct conversations, not archived.
    Direct,
    /// Groups, not archived.
    Group,
    /// Archived only.
    Archived,
    /// Pinned only.
    Pinned,
}

impl FromStr for InboxFilter {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "all" => InboxFilter::All,
            "unread" => InboxFilter::Unread,
            "direct" => InboxFilter::Direct,
            "group" => InboxFilter::Group,
            "archived" => InboxFilter::Archived,
            "pinned" => InboxFilter::Pinned,
            other => {
                return Err(StoreError::Invalid {
                    code: "invalid_filter",
                    message: format!("unknown filter `{other}`: use all, unread, direct, group, archived or pinned"),
                });
            }
        })
    }
}

/// Preview of a conversation's newest message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastMessage {
    /// Id.
    pub id: MessageId,
    /// Seq.
    pub seq: i64,
    /// Sender.
    pub sender_id: UserId,
    /// Text (may be empty for payload-only messages).
    pub text: String,
    /// RFC 3339 on the wire.
    #[serde(with = "ts")]
    pub created_at: i64,
    /// Deleted for everyone (RFC 3339): the text is gone.
    #[serde(with = "ts::opt")]
    pub deleted_at: Option<i64>,
    /// Files attached (for a preview such as "📎 photo.png").
    pub attachments: Vec<crate::files::Attachment>,
}

/// One row of the chat list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxEntry {
    /// The conversation; `members` holds at most the first five.
    pub conversation: Conversation,
    /// How many members it has.
    pub member_count: i64,
    /// Messages after the caller's last read one.
    pub unread_count: i64,
    /// The caller's read position.
    pub last_read_seq: i64,
    /// The newest message.
    pub last_message: Option<LastMessage>,
    /// Notifications muted until (RFC 3339), if muted.
    #[serde(with = "ts::opt")]
    pub muted_until: Option<i64>,
    /// Archived by the caller.
    pub archived: bool,
    /// Pinned by the caller.
    pub pinned: bool,
}

/// A page of the chat list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxPage {
    /// Conversations, most recent activity first.
    pub conversations: Vec<InboxEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A change to the caller's settings of one conversation; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ConversationSettings {
    /// Mute until this time (ms), or `Some(None)` to unmute.
    pub muted_until: Option<Option<i64>>,
    /// Archive or unarchive.
    pub archived: Option<bool>,
    /// Pin or unpin.
    pub pinned: Option<bool>,
}

#[derive(FromRow)]
struct InboxRow {
    #[sqlx(flatten)]
    conversation: ConversationRow,
    activity: i64,
    last_read_seq: i64,
    muted_until: Option<i64>,
    archived: i64,
    pinned: i64,
    member_count: i64,
    lm_id: Option<String>,
    lm_sender: Option<String>,
    lm_text: Option<String>,
    lm_created_at: Option<i64>,
    lm_deleted_at: Option<i64>,
    lm_attachments: Option<String>,
}

const INBOX_SQL: &str = "SELECT c.id, c.kind, c.name, c.avatar_url, c.description, c.custom, c.created_by, \
    c.created_at, c.updated_at, c.last_seq, c.last_message_at, COALESCE(c.last_message_at, c.created_at) AS activity, \
    m.last_read_seq, m.muted_until, m.archived, m.pinned, \
    (SELECT COUNT(*) FROM members x WHERE x.app_id = c.app_id AND x.conversation_id = c.id) AS member_count, \
    lm.id AS lm_id, lm.sender_id AS lm_sender, lm.text AS lm_text, lm.created_at AS lm_created_at, lm.deleted_at AS lm_deleted_at, lm.attachments AS lm_attachments \
    FROM members m \
    JOIN conversations c ON c.app_id = m.app_id AND c.id = m.conversation_id \
    LEFT JOIN messages lm ON lm.app_id = c.app_id AND lm.conversation_id = c.id AND lm.seq = c.last_seq \
    WHERE m.app_id = $1 AND m.user_id = $2 \
      AND (COALESCE(c.last_message_at, c.created_at) < $3 OR (COALESCE(c.last_message_at, c.created_at) = $3 AND c.id < $4)) \
      AND ($5 = '' OR c.kind = $5) \
      AND m.archived = $6 \
      AND ($7 = 0 OR c.last_seq > m.last_read_seq) \
      AND ($8 = 0 OR m.pinned = 1) \
      AND ($9 = '' OR LOWER(COALESCE(c.name, '')) LIKE $9 OR EXISTS ( \
          SELECT 1 FROM members om JOIN users u ON u.app_id = om.app_id AND u.id = om.user_id \
          WHERE om.app_id = c.app_id AND om.conversation_id = c.id AND om.user_id <> $2 \
            AND (LOWER(u.id) LIKE $9 OR LOWER(COALESCE(u.name, '')) LIKE $9))) \
    ORDER BY activity DESC, c.id DESC LIMIT $10";

fn like_pattern(q: &str) -> String {
    let escaped: String = q.to_lowercase().chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect();
    if escaped.is_empty() { String::new() } else { format!("%{escaped}%") }
}

fn parse_cursor(cursor: Option<&str>) -> Result<(i64, String)> {
    match cursor {
        None | Some("") => Ok((i64::MAX, String::new())),
        Some(c) => {
            let bad = || StoreError::Invalid {
                code: "invalid_cursor",
                message: "cursor must be a next_cursor this server gave".into(),
            };
            let (at, id) = c.split_once(':').ok_or_else(bad)?;
            Ok((at.parse().map_err(|_| bad())?, id.parse::<ConversationId>().map_err(|_| bad())?.to_string()))
        }
    }
}

impl AppScope<'_> {
    /// The caller's conversations, most recent activity first, `limit` per page.
    /// `query` matches group names and the other members' ids and names.
    pub async fn inbox(
        &self,
        user: &UserId,
        filter: InboxFilter,
        query: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<InboxPage> {
        let app = self.id();
        let (before_at, before_id) = parse_cursor(cursor)?;
        // With no cursor, any id passes the tie-break: a UUID sorts below "~".
        let before_id = if before_id.is_empty() { "~".to_owned() } else { before_id };
        let kind = match filter {
            InboxFilter::Direct => "direct",
            InboxFilter::Group => "group",
            _ => "",
        };
        let archived = i64::from(filter == InboxFilter::Archived);
        let unread = i64::from(filter == InboxFilter::Unread);
        let pinned = i64::from(filter == InboxFilter::Pinned);
        let pattern = query.map(like_pattern).unwrap_or_default();
        let (rows, members): (Vec<InboxRow>, Vec<Vec<MemberRow>>) = on_pool!(self.db(), |pool| {
            let rows: Vec<InboxRow> = sqlx::query_as(INBOX_SQL)
                .bind(&app)
                .bind(user.as_str())
                .bind(before_at)
                .bind(&before_id)
                .bind(kind)
                .bind(archived)
                .bind(unread)
                .bind(pinned)
                .bind(&pattern)
                .bind(limit + 1)
                .fetch_all(pool)
                .await?;
            let mut members = Vec::with_capacity(rows.len());
            for row in rows.iter().take(limit as usize) {
                let page: Vec<MemberRow> = sqlx::query_as(concat!(
                    "SELECT m.user_id, m.role, m.joined_at, m.last_read_seq, u.name, u.avatar_url FROM members m ",
                    "LEFT JOIN users u ON u.app_id = m.app_id AND u.id = m.user_id ",
                    "WHERE m.app_id = $1 AND m.conversation_id = $2 ORDER BY m.joined_at, m.user_id LIMIT 5"
                ))
                .bind(&app)
                .bind(&row.conversation.id)
                .fetch_all(pool)
                .await?;
                members.push(page);
            }
            (rows, members)
        });
        let more = rows.len() as i64 > limit;
        let mut conversations = Vec::with_capacity(members.len());
        let mut next_cursor = None;
        for (row, members) in rows.into_iter().zip(members) {
            if more {
                next_cursor = Some(format!("{}:{}", row.activity, row.conversation.id));
            }
            let last_message = match (row.lm_id, row.lm_sender, row.lm_text, row.lm_created_at) {
                (Some(id), Some(sender), Some(text), Some(created_at)) => Some(LastMessage {
                    id: parse("messages.id", &id)?,
                    seq: row.conversation.last_seq,
                    sender_id: parse("messages.sender_id", &sender)?,
                    text,
                    created_at,
                    deleted_at: row.lm_deleted_at,
                    attachments: serde_json::from_str(row.lm_attachments.as_deref().unwrap_or("[]"))
                        .map_err(|e| StoreError::Corrupt { column: "messages.attachments", reason: e.to_string() })?,
                }),
                _ => None,
            };
            let last_seq = row.conversation.last_seq;
            let conversation = row.conversation.into_conversation(members)?;
            conversations.push(InboxEntry {
                conversation,
                member_count: row.member_count,
                unread_count: (last_seq - row.last_read_seq).max(0),
                last_read_seq: row.last_read_seq,
                last_message,
                muted_until: row.muted_until,
                archived: row.archived != 0,
                pinned: row.pinned != 0,
            });
        }
        if !more {
            next_cursor = None;
        }
        Ok(InboxPage { conversations, next_cursor })
    }

    /// Marks messages up to `seq` read. Moves only forward; `seq` past the newest
    /// message counts as the newest. Returns the read position and, if it moved,
    /// the `receipt.read` event for the members.
    pub async fn mark_read(&self, conv: ConversationId, user: &UserId, seq: i64) -> Result<(i64, Option<Event>)> {
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            require_member!(&mut *tx, &app, conv, user);
            let (last_seq,): (i64,) =
                sqlx::query_as("SELECT last_seq FROM conversations WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(conv.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            let target = seq.clamp(0, last_seq);
            let moved = sqlx::query(
                "UPDATE members SET last_read_seq = $4 WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3 AND last_read_seq < $4",
            )
            .bind(&app)
            .bind(conv.to_string())
            .bind(user.as_str())
            .bind(target)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                let (current,): (i64,) = sqlx::query_as(
                    "SELECT last_read_seq FROM members WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3",
                )
                .bind(&app)
                .bind(conv.to_string())
                .bind(user.as_str())
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok((current, None));
            }
            let data = serde_json::json!({"conversation_id": conv, "user_id": user, "last_read_seq": target});
            let event = append_event!(tx, &app, Some(conv), None::<&UserId>, "receipt.read", data, now);
            tx.commit().await?;
            Ok((target, Some(event)))
        })
    }

    /// Changes the caller's settings of a conversation; the caller's other devices
    /// learn of it through a `conversation.settings` event.
    pub async fn update_settings_of(
        &self,
        conv: ConversationId,
        user: &UserId,
        s: &ConversationSettings,
    ) -> Result<Event> {
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            require_member!(&mut *tx, &app, conv, user);
            sqlx::query(
                "UPDATE members SET \
                   muted_until = CASE WHEN $4 = 1 THEN $5 ELSE muted_until END, \
                   archived = COALESCE($6, archived), pinned = COALESCE($7, pinned) \
                 WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3",
            )
            .bind(&app)
            .bind(conv.to_string())
            .bind(user.as_str())
            .bind(i64::from(s.muted_until.is_some()))
            .bind(s.muted_until.flatten())
            .bind(s.archived.map(i64::from))
            .bind(s.pinned.map(i64::from))
            .execute(&mut *tx)
            .await?;
            let (muted_until, archived, pinned): (Option<i64>, i64, i64) =
                sqlx::query_as("SELECT muted_until, archived, pinned FROM members WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3")
                    .bind(&app)
                    .bind(conv.to_string())
                    .bind(user.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            let data = serde_json::json!({
                "conversation_id": conv,
                "muted_until": muted_until.map(ts::rfc3339),
                "archived": archived != 0,
                "pinned": pinned != 0,
            });
            let event = append_event!(tx, &app, None::<ConversationId>, Some(user), "conversation.settings", data, now);
            tx.commit().await?;
            Ok(event)
        })
    }
}
