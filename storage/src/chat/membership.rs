//! Managing a group's members: add, remove, leave, roles, ownership.

use super::*;

/// A change to a group's membership.
#[derive(Debug, Clone)]
pub enum MemberChange {
    /// Add users (owner or admin).
    Add(Vec<UserId>),
    /// Remove a member (owner: anyone but themself; admin: plain members).
    Remove(UserId),
    /// The caller leaves (an owner hands the group over first, unless alone).
    Leave,
    /// Make a member an admin (`Role::Admin`) or a plain member (owner only).
    SetRole(UserId, Role),
    /// Hand ownership to another member; the old owner becomes an admin.
    Transfer(UserId),
}

fn forbidden(msg: &str) -> StoreError {
    StoreError::Forbidden(msg.to_owned())
}

fn invalid(code: &'static str, msg: &str) -> StoreError {
    StoreError::Invalid { code, message: msg.to_owned() }
}

impl AppScope<'_> {
    /// Applies `change` to group `conv` as `actor`. Returns the conversation as
    /// it now is and the events to publish, each with its recipients.
    pub async fn change_members(
        &self,
        conv: ConversationId,
        actor: &UserId,
        change: &MemberChange,
        max_members: usize,
    ) -> Result<(Conversation, Vec<(Event, Vec<UserId>)>)> {
        let app = self.id();
        let now = now_ms();
        on_pool!(self.db(), |pool| {
            let mut tx = pool.begin_write().await?;
            let role = require_member!(&mut *tx, &app, conv, actor);
            let (kind,): (String,) = sqlx::query_as("SELECT kind FROM conversations WHERE app_id = $1 AND id = $2")
                .bind(&app)
                .bind(conv.to_string())
                .fetch_one(&mut *tx)
                .await?;
            if kind.parse::<ConversationKind>()? != ConversationKind::Group {
                return Err(invalid("not_a_group", "direct conversations have fixed members"));
            }
            let members: Vec<MemberRow> =
                sqlx::query_as(SELECT_MEMBERS).bind(&app).bind(conv.to_string()).fetch_all(&mut *tx).await?;
            let role_of = |u: &UserId| -> Option<Role> {
                members.iter().find(|m| m.user_id == u.as_str()).and_then(|m| m.role.parse().ok())
            };
            let mut events: Vec<(&'static str, serde_json::Value, Option<UserId>)> = Vec::new();
            match change {
                MemberChange::Add(users) => {
                    if role == Role::Member {
                        return Err(forbidden("only the owner or an admin may add members"));
                    }
                    let new: Vec<&UserId> =
                        users.iter().filter(|u| role_of(u).is_none()).collect::<BTreeSet<_>>().into_iter().collect();
                    if members.len() + new.len() > max_members {
                        return Err(invalid("too_many_members", &format!("a group has at most {max_members} members")));
                    }
                    for user in &new {
                        let found: Option<(String,)> =
                            sqlx::query_as("SELECT id FROM users WHERE app_id = $1 AND id = $2")
                                .bind(&app)
                                .bind(user.as_str())
                                .fetch_optional(&mut *tx)
                                .await?;
                        if found.is_none() {
                            return Err(StoreError::NotFound { what: "user" });
                        }
                        if crate::social::blocked_between!(&mut *tx, &app, actor, *user) {
                            return Err(StoreError::Blocked);
                        }
                        sqlx::query("INSERT INTO members (app_id, conversation_id, user_id, role, joined_at) VALUES ($1, $2, $3, 'member', $4)")
                            .bind(&app)
                            .bind(conv.to_string())
                            .bind(user.as_str())
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if !new.is_empty() {
                        events.push(("member.added", serde_json::json!({"user_ids": new}), None));
                    }
                }
                MemberChange::Remove(_) | MemberChange::Leave => {
                    let target = match change {
                        MemberChange::Remove(t) => t,
                        _ => actor,
                    };
                    let Some(target_role) = role_of(target) else {
                        return Err(StoreError::NotFound { what: "member" });
                    };
                    let leaving = target == actor;
                    if leaving && target_role == Role::Owner && members.len() > 1 {
                        return Err(invalid("owner_must_transfer", "hand the group to another member before leaving"));
                    }
                    if !leaving {
                        let allowed = matches!((role, target_role), (Role::Owner, _) | (Role::Admin, Role::Member));
                        if !allowed {
                            return Err(forbidden("you may not remove this member"));
                        }
                    }
                    sqlx::query("DELETE FROM members WHERE app_id = $1 AND conversation_id = $2 AND user_id = $3")
                        .bind(&app)
                        .bind(conv.to_string())
                        .bind(target.as_str())
                        .execute(&mut *tx)
                        .await?;
                    let data = serde_json::json!({"user_id": target, "left": leaving});
                    events.push(("member.removed", data.clone(), None));
                    // The removed user is no member any more: tell them directly.
                    events.push(("member.removed", data, Some(target.clone())));
                }
                MemberChange::SetRole(target, new_role) => {
                    if role != Role::Owner {
                        return Err(forbidden("only the owner may change roles"));
                    }
                    if *new_role == Role::Owner {
                        return Err(invalid("invalid_role", "use a transfer to hand over ownership"));
                    }
                    match role_of(target) {
                        None => return Err(StoreError::NotFound { what: "member" }),
                        Some(Role::Owner) => {
                            return Err(invalid("invalid_role", "the owner's role changes only by a transfer"));
                        }
                        Some(_) => {}
                    }
                    set_role!(tx, &app, conv, target, *new_role);
                    events.push(("member.updated", serde_json::json!({"user_id": target, "role": new_role}), None));
                }
                MemberChange::Transfer(target) => {
                    if role != Role::Owner {
                        return Err(forbidden("only the owner may transfer ownership"));
                    }
                    if role_of(target).is_none() || target == actor {
                        return Err(StoreError::NotFound { what: "member" });
                    }
                    set_role!(tx, &app, conv, target, Role::Owner);
                    set_role!(tx, &app, conv, actor, Role::Admin);
                    events.push(("member.updated", serde_json::json!({"user_id": target, "role": Role::Owner}), None));
                    events.push(("member.updated", serde_json::json!({"user_id": actor, "role": Role::Admin}), None));
                }
            }
            sqlx::query("UPDATE conversations SET updated_at = $3 WHERE app_id = $1 AND id = $2")
                .bind(&app)
                .bind(conv.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let conversation = load_conversation!(tx, &app, conv)?;
            let member_ids: Vec<UserId> = conversation.members.iter().map(|m| m.user_id.clone()).collect();
            let mut out = Vec::new();
            for (kind, mut data, target) in events {
                data["conversation_id"] = serde_json::json!(conv);
                data["by"] = serde_json::json!(actor);
                if kind == "member.added" {
                    data["conversation"] = serde_json::json!(conversation);
                }
                let (scope_conv, recipients) = match &target {
                    Some(user) => (None, vec![user.clone()]),
                    None => (Some(conv), member_ids.clone()),
                };
                let event = append_event!(tx, &app, scope_conv, target.as_ref(), kind, data, now);
                out.push((event, recipients));
            }
            tx.commit().await?;
            Ok((conversation, out))
        })
    }
}
