//! Full-text search of messages within the caller's own conversations:
//! SQLite FTS5 on the embedded database, a tsvector GIN index on PostgreSQL.

use super::*;

macro_rules! search_columns {
    () => {
        "m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.text, m.payload, m.created_at, m.reply_to, \
         m.parent_id, m.reply_count, m.mentions, m.edited_at, m.deleted_at, m.pinned_at, m.attachments"
    };
}

/// Quotes each word for FTS5, so user input is never query syntax; control
/// characters (a NUL ends an FTS5 string) separate words.
fn fts5_query(q: &str) -> String {
    q.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

impl AppScope<'_> {
    /// Messages containing every word of `query`, newest first, in conversations
    /// `user` is a member of (optionally one of them). Deleted messages are left out.
    pub async fn search_messages(
        &self,
        user: &UserId,
        query: &str,
        conv: Option<ConversationId>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let app = self.id();
        let conv = conv.map(|c| c.to_string()).unwrap_or_default();
        // Neither database takes a NUL in a query; no word is found by an empty query.
        let query = query.replace(|c: char| c.is_control(), " ");
        if fts5_query(&query).is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<MessageRow> = match self.db() {
            crate::Db::Sqlite(pool) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    search_columns!(),
                    " FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH $3 AND m.app_id = $1 ",
                    "AND m.deleted_at IS NULL AND ($4 = '' OR m.conversation_id = $4) AND EXISTS (SELECT 1 FROM members x ",
                    "WHERE x.app_id = m.app_id AND x.conversation_id = m.conversation_id AND x.user_id = $2) ",
                    "ORDER BY m.created_at DESC LIMIT $5"
                ))
                .bind(&app)
                .bind(user.as_str())
                .bind(fts5_query(&query))
                .bind(&conv)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
            crate::Db::Postgres(pool) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    search_columns!(),
                    " FROM messages m WHERE m.app_id = $1 AND to_tsvector('simple', m.text) @@ plainto_tsquery('simple', $3) ",
                    "AND m.deleted_at IS NULL AND ($4 = '' OR m.conversation_id = $4) AND EXISTS (SELECT 1 FROM members x ",
                    "WHERE x.app_id = m.app_id AND x.conversation_id = m.conversation_id AND x.user_id = $2) ",
                    "ORDER BY m.created_at DESC LIMIT $5"
                ))
                .bind(&app)
                .bind(user.as_str())
                .bind(&query)
                .bind(&conv)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        rows.into_iter().map(Message::try_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn user_input_never_becomes_fts_syntax() {
        assert_eq!(fts5_query("hello world"), "\"hello\" \"world\"");
        assert_eq!(fts5_query("a\"b OR c*"), "\"a\"\"b\" \"OR\" \"c*\"");
        assert_eq!(fts5_query("a\0b"), "\"a\" \"b\"", "a NUL never reaches FTS5");
        assert_eq!(fts5_query("\0"), "");
    }
}
