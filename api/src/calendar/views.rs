//! Calendars over time and in iCalendar: occurrences in a range, free/busy of
//! several users, a user's `.ics` feed, and `.ics` import.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caas_storage::{ConversationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::EventObject;
use crate::calendar::Calendar;
use crate::gate::auth::{EndUser, authenticate, bearer_token};
use crate::gate::origin::request_origin;
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::input::{limit, range_ms, user_id, user_ids};
use crate::http::wire::rfc3339_ms;

/// Longest range of `occurrences` and `freebusy`, in days.
const MAX_RANGE_DAYS: i64 = 366;
/// Most users one free/busy query asks about.
const MAX_FREEBUSY_USERS: usize = 50;
/// Most events in a feed.
const MAX_FEED_EVENTS: i64 = 1000;

/// Query of `GET /v1/calendar/occurrences`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OccurrenceQuery {
    /// Start of the range: RFC 3339, or a date (midnight UTC).
    pub from: String,
    /// End of the range (exclusive), at most 366 days after `from`.
    pub to: String,
    /// Whose calendar (default: yours); you see only the events you may see too.
    pub user: Option<String>,
    /// 1 to 2000 (default 500).
    pub limit: Option<i64>,
}

/// One occurrence of an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccurrenceBody {
    /// The event.
    pub event_id: String,
    /// Its title.
    pub title: String,
    /// Its organizer.
    pub owner_id: String,
    /// Its conversation.
    pub conversation_id: Option<String>,
    /// Its location.
    pub location: Option<String>,
    /// Its zone.
    pub time_zone: String,
    /// Whole days.
    pub all_day: bool,
    /// Wall-clock start in the zone.
    pub start: String,
    /// Wall-clock end in the zone.
    pub end: String,
    /// Start, RFC 3339 UTC.
    pub starts_at: String,
    /// End, RFC 3339 UTC.
    pub ends_at: String,
    /// Whether the event recurs.
    pub recurring: bool,
    /// The call room, if the event carries a call.
    pub call_room_id: Option<String>,
}

/// `{"occurrences": […], "truncated": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccurrencesBody {
    /// By start.
    pub occurrences: Vec<OccurrenceBody>,
    /// Whether some were left out (narrow the range).
    pub truncated: bool,
}

/// Occurrences of the events in a range, recurrences expanded, by start.
#[utoipa::path(
    get, path = "/v1/calendar/occurrences", tag = "calendar", security(("session_token" = [])), params(OccurrenceQuery),
    responses((status = 200, body = OccurrencesBody), (status = 401, body = ErrorBody), (status = 422, description = "`invalid_range`, `invalid_user_id`, `invalid_limit`", body = ErrorBody))
)]
pub async fn occurrences(
    State(state): State<Calendar>,
    user: EndUser,
    Query(q): Query<OccurrenceQuery>,
) -> Result<ApiJson<OccurrencesBody>, ApiError> {
    let (from, to) = range_ms(&q.from, &q.to, MAX_RANGE_DAYS)?;
    let limit = limit(q.limit, 500, 2000)? as usize;
    let of = q.user.as_deref().map(user_id).transpose()?;
    let page = state.store.app(user.app_id).occurrences(&user.user_id, of.as_ref(), from, to, limit).await?;
    let occurrences = page
        .occurrences
        .into_iter()
        .map(|o| OccurrenceBody {
            event_id: o.event.id.to_string(),
            title: o.event.title.clone(),
            owner_id: o.event.owner_id.to_string(),
            conversation_id: o.event.conversation_id.map(|c| c.to_string()),
            location: o.event.location.clone(),
            time_zone: o.event.schedule.time_zone().to_owned(),
            all_day: o.event.schedule.all_day(),
            start: o.occurrence.start,
            end: o.occurrence.end,
            starts_at: rfc3339_ms(o.occurrence.start_ms),
            ends_at: rfc3339_ms(o.occurrence.end_ms),
            recurring: o.event.schedule.rule().is_some(),
            call_room_id: o.event.call_room_id(),
        })
        .collect();
    Ok(ApiJson(OccurrencesBody { occurrences, truncated: page.truncated }))
}

/// Input of `POST /v1/calendar/freebusy`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreeBusyInput {
    /// User ids (1 to 50).
    pub users: Vec<String>,
    /// Start: RFC 3339 or a date.
    pub from: String,
    /// End (exclusive), at most 366 days after `from`.
    pub to: String,
}

/// A busy interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusySpan {
    /// RFC 3339 UTC.
    pub start: String,
    /// RFC 3339 UTC.
    pub end: String,
}

/// `{"from", "to", "users": {"ann": [{start, end}…]}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FreeBusyBody {
    /// RFC 3339 UTC.
    pub from: String,
    /// RFC 3339 UTC.
    pub to: String,
    /// Busy intervals per user, merged and sorted.
    pub users: BTreeMap<String, Vec<BusySpan>>,
}

/// When users are busy: times of the events they organize or attend (not
/// declined), without titles — for finding a slot.
#[utoipa::path(
    post, path = "/v1/calendar/freebusy", tag = "calendar", security(("session_token" = [])), request_body = FreeBusyInput,
    responses((status = 200, body = FreeBusyBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn freebusy(
    State(state): State<Calendar>,
    user: EndUser,
    ApiJson(input): ApiJson<FreeBusyInput>,
) -> Result<ApiJson<FreeBusyBody>, ApiError> {
    let (from, to) = range_ms(&input.from, &input.to, MAX_RANGE_DAYS)?;
    if input.users.is_empty() || input.users.len() > MAX_FREEBUSY_USERS {
        return Err(ApiError::invalid("invalid_users", format!("ask about 1 to {MAX_FREEBUSY_USERS} users")));
    }
    let mut users: Vec<UserId> = user_ids(&input.users)?;
    users.sort();
    users.dedup();
    let busy = state.store.app(user.app_id).free_busy(&users, from, to).await?;
    let users = busy
        .into_iter()
        .map(|(u, spans)| {
            let spans = spans.into_iter().map(|(s, e)| BusySpan { start: rfc3339_ms(s), end: rfc3339_ms(e) }).collect();
            (u.to_string(), spans)
        })
        .collect();
    Ok(ApiJson(FreeBusyBody { from: rfc3339_ms(from), to: rfc3339_ms(to), users }))
}

/// Query of `GET /v1/calendar/feed.ics`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FeedQuery {
    /// Session token, for calendar apps that cannot send headers (or send `Authorization: Bearer`).
    pub token: Option<String>,
}

/// The caller's calendar as iCalendar (`text/calendar`): every event they may
/// see (up to 1000), with recurrence, exceptions, reminders and attendees.
#[utoipa::path(
    get, path = "/v1/calendar/feed.ics", tag = "calendar", security(("session_token" = [])), params(FeedQuery),
    responses((status = 200, description = "text/calendar"), (status = 401, body = ErrorBody))
)]
pub async fn feed(
    State(state): State<Calendar>,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> Result<Response, ApiError> {
    let token = bearer_token(&headers)
        .or(q.token.as_deref())
        .ok_or_else(|| ApiError::invalid_token("send `Authorization: Bearer <token>` or `?token=`"))?;
    let user = authenticate(&state.gate, token, request_origin(&headers)).await?;
    let events = state.store.app(user.app_id).feed_events(&user.user_id, MAX_FEED_EVENTS).await?;
    let mut res = crate::calendar::ics::feed(&user.user_id, &events).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"calendar.ics\""));
    Ok(res)
}

/// Query of `POST /v1/calendar/import`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Put the imported events in this conversation (you must be a member).
    #[param(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
}

/// `{"events": […], "skipped": n}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    /// The events created, organized by the caller.
    pub events: Vec<EventObject>,
    /// VEVENTs left out (changes to single occurrences).
    pub skipped: usize,
}

/// Imports the events of an `.ics` body (`Content-Type: text/calendar`), all
/// or none, organized by the caller.
#[utoipa::path(
    post, path = "/v1/calendar/import", tag = "calendar", security(("session_token" = [])), params(ImportQuery),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, body = ImportBody), (status = 401, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "`invalid_ics`, `too_many_events`, and the codes of event creation", body = ErrorBody))
)]
pub async fn import(
    State(state): State<Calendar>,
    user: EndUser,
    headers: HeaderMap,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<ApiJson<ImportBody>, ApiError> {
    let is_ics = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/calendar"));
    if !is_ics {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the .ics with `Content-Type: text/calendar`",
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("invalid_ics", "the body is not UTF-8"))?;
    let imported = crate::calendar::ics::parse(text, q.conversation_id)?;
    let events = state.store.app(user.app_id).create_events(&user.user_id, &imported.events).await?;
    Ok(ApiJson(ImportBody { events: events.iter().map(Into::into).collect(), skipped: imported.skipped }))
}
