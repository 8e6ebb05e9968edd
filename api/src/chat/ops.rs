//! Chat's ops on the real-time WebSocket (`conversation.*`, `message.*`,
//! `member.*`): the same operations as the REST routes, in the op envelope.

use serde_json::Value;

use super::{ChangeOp, Chat, ConversationRef, MembersOp, MessageBody};
use crate::gate::auth::EndUser;
use crate::http::error::ApiError;
use crate::http::input::{op_data as input, op_reply as reply};

/// The ops chat answers.
pub const OPS: &[&str] = &[
    "conversation.create",
    "conversation.get",
    "conversation.history",
    "conversation.list",
    "conversation.settings",
    "message.send",
    "message.read",
    "message.search",
    "member.add",
    "member.remove",
    "member.role",
    "conversation.leave",
    "conversation.transfer",
    "message.edit",
    "message.delete",
    "reaction.add",
    "reaction.remove",
    "message.pin",
];

/// Answers `op`, one of [`OPS`].
pub async fn handle(chat: &Chat, user: &EndUser, op: &str, data: Value) -> Result<Value, ApiError> {
    match op {
        "conversation.create" => create(chat, user, data).await,
        "conversation.get" => get(chat, user, data).await,
        "conversation.history" => history(chat, user, data).await,
        "conversation.list" => list(chat, user, data).await,
        "conversation.settings" => settings(chat, user, data).await,
        "message.send" => reply(send(chat, user, data).await?),
        "message.read" => read(chat, user, data).await,
        "message.search" => search(chat, user, data).await,
        "member.add" => members(chat, user, MembersOp::Add, data).await,
        "member.remove" => members(chat, user, MembersOp::Remove, data).await,
        "member.role" => members(chat, user, MembersOp::Role, data).await,
        "conversation.leave" => members(chat, user, MembersOp::Leave, data).await,
        "conversation.transfer" => members(chat, user, MembersOp::Transfer, data).await,
        "message.edit" => change(chat, user, ChangeOp::Edit, data).await,
        "message.delete" => change(chat, user, ChangeOp::Delete, data).await,
        "reaction.add" => change(chat, user, ChangeOp::React, data).await,
        "reaction.remove" => change(chat, user, ChangeOp::Unreact, data).await,
        "message.pin" => change(chat, user, ChangeOp::Pin, data).await,
        other => Err(ApiError::bad_request("unknown_op", format!("unknown op `{other}`"))),
    }
}

async fn create(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    reply(super::create_conversation(chat, user, input(data)?).await?)
}

async fn get(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    let r: ConversationRef = input(data)?;
    reply(super::get_conversation(chat, user, r.conversation_id).await?)
}

async fn history(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    reply(super::history(chat, user, None, input(data)?).await?)
}

async fn list(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    reply(super::list(chat, user, input(data)?).await?)
}

async fn settings(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    super::update_settings(chat, user, None, input(data)?).await
}

/// `message.send`, answered with the stored message (the real-time loop also
/// ends the sender's typing indicator with it).
pub async fn send(chat: &Chat, user: &EndUser, data: Value) -> Result<MessageBody, ApiError> {
    super::send_message(chat, user, None, input(data)?).await
}

async fn read(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    reply(super::mark_read(chat, user, None, input(data)?).await?)
}

async fn search(chat: &Chat, user: &EndUser, data: Value) -> Result<Value, ApiError> {
    reply(super::search(chat, user, input(data)?).await?)
}

async fn members(chat: &Chat, user: &EndUser, change: MembersOp, data: Value) -> Result<Value, ApiError> {
    reply(super::change_members(chat, user, None, change, input(data)?).await?)
}

async fn change(chat: &Chat, user: &EndUser, change: ChangeOp, data: Value) -> Result<Value, ApiError> {
    reply(super::change_message(chat, user, None, change, input(data)?).await?)
}
