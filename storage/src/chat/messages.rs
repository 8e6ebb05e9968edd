//! Sending messages and reading history.

use super::*;

impl AppScope<'_> {
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
                let found =
                    self.message_by_client_id(conv, sender, new.client_msg_id.as_deref().unwrap_or_default()).await?;
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
            // The sender has read their own message.
            sqlx::query(
                "UPDATE members SET last_read_seq = $4 WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3",
            )
            .bind(&app)
            .bind(conv.to_string())
            .bind(sender.as_str())
            .bind(seq)
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
            let event = append_event!(tx, &app, Some(conv), None::<&UserId>, "message.new", data, now);
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
}
