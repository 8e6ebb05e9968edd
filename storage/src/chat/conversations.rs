//! Creating and reading conversations.

use super::*;

impl AppScope<'_> {
    /// Creates a conversation. A direct conversation that already exists for the
    /// pair is returned instead (`false`), race-free under concurrent creates.
    /// Returns the conversation and, when created, its `conversation.created` event.
    pub async fn create_conversation(&self, new: &NewConversation) -> Result<(Conversation, Option<Event>)> {
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
        let custom = new.custom.as_ref().map(|c| c.to_string()).unwrap_or_else(|| "{}".into());
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            for user in others.iter().copied().chain(std::iter::once(&new.creator)) {
                let found: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE app_id = $1 AND id = $2")
                    .bind(&app)
                    .bind(user.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound { what: "user" });
                }
            }
            // Nobody may open a conversation with, or add, someone who blocked them (or whom they blocked).
            for user in others.iter() {
                if crate::social::blocked_between!(&mut *tx, &app, &new.creator, user) {
                    return Err(StoreError::Blocked);
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
                let members: Vec<MemberRow> =
                    sqlx::query_as(SELECT_MEMBERS).bind(&app).bind(&row.id).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok((row.into_conversation(members)?, None))
            } else {
                let creator_role = match new.kind {
                    ConversationKind::Direct => Role::Member,
                    ConversationKind::Group => Role::Owner,
                };
                let roles =
                    std::iter::once((&new.creator, creator_role)).chain(others.iter().map(|u| (*u, Role::Member)));
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
                let conversation = load_conversation!(tx, &app, id)?;
                let data = serde_json::json!({ "conversation": conversation });
                let event = append_event!(tx, &app, Some(id), None::<&UserId>, "conversation.created", data, now);
                tx.commit().await?;
                Ok((conversation, Some(event)))
            }
        })
    }

    /// The conversation, if `user` is a member.
    pub async fn conversation(&self, id: ConversationId, user: &UserId) -> Result<Conversation> {
        let app = self.id();
        on_pool!(self.db(), |pool| {
            require_member!(pool, &app, id, user);
            let mut conn = pool.acquire().await?;
            load_conversation!(conn, &app, id)
        })
    }
}
