//! The social graph's ops on the real-time WebSocket: `contact.list`,
//! `user.search`, and the relations (`contact.request`, `user.block`, …).

use serde_json::Value;

use super::{UserRef, Users};
use crate::gate::auth::EndUser;
use crate::http::error::ApiError;
use crate::http::input::{op_data as input, op_reply as reply};

/// Answers `op` if it is one of the social graph's; `None` if it is not.
pub async fn handle(users: &Users, user: &EndUser, op: &str, data: Value) -> Option<Result<Value, ApiError>> {
    match op {
        "contact.list" => Some(async { reply(super::graph(users, user).await?) }.await),
        "user.search" => Some(async { reply(super::search(users, user, input(data)?).await?) }.await),
        other => {
            let rel =
                other.strip_prefix("contact.").or_else(|| other.strip_prefix("user.")).and_then(super::relation)?;
            Some(
                async {
                    let r: UserRef = input(data)?;
                    reply(super::relate(users, user, r.user_id, rel).await?)
                }
                .await,
            )
        }
    }
}
