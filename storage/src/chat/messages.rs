//! Sending messages and reading history.

use super::*;

impl AppScope<'_> {
    /// Sends a message as `sender`; returns it with its event and the members
    /// to deliver it to. With a `client_msg_id` already used by this sender in
    /// this conversation, returns the original message and no event.
    pub async fn send_message(
        &self,
        conv: ConversationId,
        sender: &UserId,
        new: &NewMessage,
    ) -> Result<(Message, Option<(Event, Members)>)> {
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
    ) -> Result<(Message, Option<(Event, Members)>)> {
        let app = self.id();
        let now = now_ms();
        let id = MessageId::generate();
        let payload = new.payload.as_ref().map(|p| p.to_string());
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let members = super::recipients::current_members!(self, &mut *tx, &app, conv);
            if members.binary_search(sender).is_err() {
                return Err(StoreError::Forbidden("you are not a member of this conversation".into()));
            }
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
            for (what, target) in [("reply_to", new.reply_to), ("parent_id", new.parent_id)] {
                let Some(target) = target else { continue };
                let found: Option<(Option<String>,)> = sqlx::query_as(
                    "SELECT parent_id FROM messages WHERE app_id = $1 AND conversation_id = $2 AND id = $3",
                )
                .bind(&app)
                .bind(conv.to_string())
                .bind(target.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                match found {
                    None => {
                        return Err(StoreError::Invalid {
                            code: "invalid_reference",
                            message: format!("{what} names no message of this conversation"),
                        });
                    }
                    Some((Some(_),)) if what == "parent_id" => {
                        return Err(StoreError::Invalid {
                            code: "invalid_reference",
                            message: "threads are one level deep: reply to the thread's root".into(),
                        });
                    }
                    Some(_) => {}
                }
            }
            if let Some(user) = new.mentions.iter().find(|u| members.binary_search(u).is_err()) {
                return Err(StoreError::Invalid {
                    code: "invalid_mentions",
                    message: format!("`{user}` is not a member of this conversation"),
                });
            }
            let mut attachments = Vec::with_capacity(new.attachments.len());
            for file in &new.attachments {
                let found: Option<crate::files::FileRow> = sqlx::query_as(crate::files::VISIBLE_FILE)
                    .bind(&app)
                    .bind(file.to_string())
                    .bind(sender.as_str())
                    .bind(crate::now_ms())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(found) = found else {
                    return Err(StoreError::Invalid {
                        code: "invalid_attachment",
                        message: format!("file {file} does not exist or is not yours to share"),
                    });
                };
                sqlx::query(
                    "INSERT INTO file_shares (app_id, file_id, conversation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(&app)
                .bind(file.to_string())
                .bind(conv.to_string())
                .execute(&mut *tx)
                .await?;
                attachments.push(crate::files::FileMeta::try_from(found)?.attachment());
            }
            let attachments_json = serde_json::to_string(&attachments).unwrap_or_else(|_| "[]".into());
            if let Some(parent) = new.parent_id {
                sqlx::query("UPDATE messages SET reply_count = reply_count + 1 WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(parent.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            let mentions = serde_json::to_string(&new.mentions).unwrap_or_else(|_| "[]".into());
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
                "INSERT INTO messages (app_id, conversation_id, seq, id, sender_id, client_msg_id, text, payload, created_at, \
                 reply_to, parent_id, mentions, attachments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
            .bind(new.reply_to.map(|m| m.to_string()))
            .bind(new.parent_id.map(|m| m.to_string()))
            .bind(&mentions)
            .bind(&attachments_json)
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
                reply_to: new.reply_to,
                parent_id: new.parent_id,
                reply_count: 0,
                mentions: new.mentions.clone(),
                attachments,
                created_at: now,
                edited_at: None,
                deleted_at: None,
                pinned_at: None,
                reactions: Reactions::default(),
            };
            let data = serde_json::json!({ "message": message });
            let event = append_event!(tx, &app, Some(conv), None::<&UserId>, "message.new", data, now);
            tx.commit().await?;
            Ok((message, Some((event, members))))
        })
    }

    /// A page of history, oldest first, with reactions as `user` sees them.
    pub async fn history(&self, conv: ConversationId, user: &UserId, page: &HistoryPage) -> Result<Vec<Message>> {
        let app = self.id();
        let thread = page.parent_id.map(|p| p.to_string()).unwrap_or_default();
        let fetch = |lower: i64, upper: i64, newest_first: bool, limit: i64| (lower, upper, newest_first, limit);
        let plans = match (page.before_seq, page.after_seq, page.around_seq) {
            (_, _, Some(around)) => {
                let half = (page.limit / 2).max(1);
                vec![
                    fetch(i64::MIN, around.saturating_add(1), true, half),
                    fetch(around, i64::MAX, false, page.limit - half),
                ]
            }
            (_, Some(after), None) => vec![fetch(after, i64::MAX, false, page.limit)],
            (before, None, None) => vec![fetch(i64::MIN, before.unwrap_or(i64::MAX), true, page.limit)],
        };
        let mut rows: Vec<MessageRow> = Vec::new();
        let reactions: Vec<(String, String, i64, i64)> = on_pool!(self.db(), |pool| {
            require_member!(pool, &app, conv, user);
            for (lower, upper, newest_first, limit) in plans {
                let sql = if newest_first {
                    concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages WHERE app_id = $1 AND conversation_id = $2 AND seq > $3 AND seq < $4 ",
                        "AND ($5 = '' OR parent_id = $5) ORDER BY seq DESC LIMIT $6"
                    )
                } else {
                    concat!(
                        "SELECT ",
                        message_columns!(),
                        " FROM messages WHERE app_id = $1 AND conversation_id = $2 AND seq > $3 AND seq < $4 ",
                        "AND ($5 = '' OR parent_id = $5) ORDER BY seq ASC LIMIT $6"
                    )
                };
                let mut part: Vec<MessageRow> = sqlx::query_as(sql)
                    .bind(&app)
                    .bind(conv.to_string())
                    .bind(lower)
                    .bind(upper)
                    .bind(&thread)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                if newest_first {
                    part.reverse();
                }
                rows.extend(part);
            }
            match (rows.first(), rows.last()) {
                (Some(first), Some(last)) => {
                    sqlx::query_as(
                        "SELECT message_id, kind, COUNT(*), CAST(MAX(CASE WHEN user_id = $5 THEN 1 ELSE 0 END) AS BIGINT) FROM reactions \
                         WHERE app_id = $1 AND conversation_id = $2 AND seq >= $3 AND seq <= $4 GROUP BY message_id, kind",
                    )
                    .bind(&app)
                    .bind(conv.to_string())
                    .bind(first.seq)
                    .bind(last.seq)
                    .bind(user.as_str())
                    .fetch_all(pool)
                    .await?
                }
                _ => Vec::new(),
            }
        });
        let mut messages: Vec<Message> = rows.into_iter().map(Message::try_from).collect::<Result<_>>()?;
        attach_reactions(&mut messages, reactions);
        Ok(messages)
    }
}

/// Which page of history to read; `limit` messages at most.
#[derive(Debug, Clone, Default)]
pub struct HistoryPage {
    /// Older than this seq (backward); default: the newest.
    pub before_seq: Option<i64>,
    /// Newer than this seq (forward).
    pub after_seq: Option<i64>,
    /// Centred on this seq (it and older, then newer).
    pub around_seq: Option<i64>,
    /// Only the replies in this thread.
    pub parent_id: Option<MessageId>,
    /// Page size.
    pub limit: i64,
}

/// Puts `(message_id, kind, count, mine)` rows onto their messages.
pub(super) fn attach_reactions(messages: &mut [Message], rows: Vec<(String, String, i64, i64)>) {
    for (message_id, kind, count, mine) in rows {
        if let Some(m) = messages.iter_mut().find(|m| m.id.to_string() == message_id) {
            if mine != 0 {
                m.reactions.mine.push(kind.clone());
            }
            m.reactions.counts.insert(kind, count);
        }
    }
    for m in messages {
        m.reactions.mine.sort();
    }
}
