//! Changing messages after they are sent: edit (history kept), delete for
//! everyone (tombstone), reactions, pins. Each change is a persistent event.

use super::*;

/// A change to a message.
#[derive(Debug, Clone)]
pub enum MessageChange {
    /// New text; only the sender may edit.
    Edit(String),
    /// Delete for everyone; the sender, or a group's owner or admin.
    Delete,
    /// Add a reaction of this kind.
    React(String),
    /// Remove the caller's reaction of this kind.
    Unreact(String),
    /// Pin (`true`) or unpin.
    Pin(bool),
}

/// Sets the caller's view of reactions on one message (`mine` and counts).
macro_rules! load_reactions {
    ($ex:expr, $app:expr, $message:expr, $user:expr) => {{
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT message_id, kind, COUNT(*), CAST(MAX(CASE WHEN user_id = $3 THEN 1 ELSE 0 END) AS BIGINT) FROM reactions \
             WHERE app_id = $1 AND message_id = $2 GROUP BY message_id, kind",
        )
        .bind($app)
        .bind($message.id.to_string())
        .bind($user.as_str())
        .fetch_all($ex)
        .await?;
        super::messages::attach_reactions(std::slice::from_mut(&mut $message), rows);
    }};
}

impl AppScope<'_> {
    /// Applies `change` to message `id` as `user`. Returns the message as it now
    /// is and the event for the members (`None` when nothing changed, e.g. a
    /// reaction that was already there).
    pub async fn change_message(
        &self,
        id: MessageId,
        user: &UserId,
        change: &MessageChange,
    ) -> Result<(Message, Option<Event>)> {
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let row: Option<MessageRow> =
                sqlx::query_as(concat!("SELECT ", message_columns!(), " FROM messages WHERE app_id = $1 AND id = $2"))
                    .bind(&app)
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(row) = row else { return Err(StoreError::NotFound { what: "message" }) };
            let mut message = Message::try_from(row)?;
            let conv = message.conversation_id;
            let role = require_member!(&mut *tx, &app, conv, user);
            let (kind, data) = match change {
                MessageChange::Edit(text) => {
                    if message.sender_id != *user {
                        return Err(StoreError::Forbidden("only the sender may edit a message".into()));
                    }
                    if message.deleted_at.is_some() {
                        return Err(StoreError::Invalid {
                            code: "message_deleted",
                            message: "the message was deleted".into(),
                        });
                    }
                    sqlx::query(
                        "INSERT INTO message_edits (app_id, message_id, text, replaced_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(&message.text)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE messages SET text = $3, edited_at = $4 WHERE app_id = $1 AND id = $2")
                        .bind(&app)
                        .bind(id.to_string())
                        .bind(text)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    message.text = text.clone();
                    message.edited_at = Some(now);
                    ("message.updated", None)
                }
                MessageChange::Delete => {
                    let moderator = matches!(role, Role::Owner | Role::Admin);
                    if message.sender_id != *user && !moderator {
                        return Err(StoreError::Forbidden(
                            "only the sender or a group admin may delete a message".into(),
                        ));
                    }
                    if message.deleted_at.is_some() {
                        tx.commit().await?;
                        return Ok((message, None));
                    }
                    sqlx::query(
                        "UPDATE messages SET text = '', payload = NULL, attachments = '[]', deleted_at = $3 WHERE app_id = $1 AND id = $2",
                    )
                    .bind(&app)
                    .bind(id.to_string())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM message_edits WHERE app_id = $1 AND message_id = $2")
                        .bind(&app)
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await?;
                    message.text.clear();
                    message.payload = None;
                    message.attachments.clear();
                    message.deleted_at = Some(now);
                    ("message.deleted", None)
                }
                MessageChange::React(reaction) | MessageChange::Unreact(reaction) => {
                    let adding = matches!(change, MessageChange::React(_));
                    if adding && message.deleted_at.is_some() {
                        return Err(StoreError::Invalid {
                            code: "message_deleted",
                            message: "the message was deleted".into(),
                        });
                    }
                    let changed = if adding {
                        sqlx::query(
                            "INSERT INTO reactions (app_id, conversation_id, seq, message_id, user_id, kind, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                        )
                        .bind(&app)
                        .bind(conv.to_string())
                        .bind(message.seq)
                        .bind(id.to_string())
                        .bind(user.as_str())
                        .bind(reaction)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                    } else {
                        sqlx::query("DELETE FROM reactions WHERE app_id = $1 AND message_id = $2 AND user_id = $3 AND kind = $4")
                            .bind(&app)
                            .bind(id.to_string())
                            .bind(user.as_str())
                            .bind(reaction)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                    };
                    load_reactions!(&mut *tx, &app, message, user);
                    if changed == 0 {
                        tx.commit().await?;
                        return Ok((message, None));
                    }
                    let counts = message.reactions.counts.clone();
                    let data = serde_json::json!({
                        "conversation_id": conv, "message_id": id, "seq": message.seq,
                        "user_id": user, "kind": reaction, "counts": counts,
                    });
                    (if adding { "reaction.added" } else { "reaction.removed" }, Some(data))
                }
                MessageChange::Pin(pin) => {
                    if message.pinned_at.is_some() == *pin {
                        tx.commit().await?;
                        return Ok((message, None));
                    }
                    let at = pin.then_some(now);
                    sqlx::query("UPDATE messages SET pinned_at = $3, pinned_by = $4 WHERE app_id = $1 AND id = $2")
                        .bind(&app)
                        .bind(id.to_string())
                        .bind(at)
                        .bind(pin.then(|| user.as_str().to_owned()))
                        .execute(&mut *tx)
                        .await?;
                    message.pinned_at = at;
                    ("message.pinned", None)
                }
            };
            if !matches!(change, MessageChange::React(_) | MessageChange::Unreact(_)) {
                load_reactions!(&mut *tx, &app, message, user);
            }
            let data = data.unwrap_or_else(|| {
                let mut shared = message.clone();
                // `mine` is the caller's; others see counts only.
                shared.reactions.mine.clear();
                serde_json::json!({ "message": shared, "by": user })
            });
            let event = append_event!(tx, &app, Some(conv), None::<&UserId>, kind, data, now);
            tx.commit().await?;
            Ok((message, Some(event)))
        })
    }

    /// Earlier texts of a message, oldest first (members only).
    pub async fn edit_history(&self, id: MessageId, user: &UserId) -> Result<Vec<(String, i64)>> {
        let app = self.id();
        on_pool!(self.db(), |pool| {
            let conv: Option<(String,)> =
                sqlx::query_as("SELECT conversation_id FROM messages WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(id.to_string())
                    .fetch_optional(pool)
                    .await?;
            let Some((conv,)) = conv else { return Err(StoreError::NotFound { what: "message" }) };
            let conv: ConversationId = parse("messages.conversation_id", &conv)?;
            require_member!(pool, &app, conv, user);
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT text, replaced_at FROM message_edits WHERE app_id = $1 AND message_id = $2 ORDER BY replaced_at",
            )
            .bind(&app)
            .bind(id.to_string())
            .fetch_all(pool)
            .await?;
            Ok(rows)
        })
    }
}
