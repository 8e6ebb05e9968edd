//! Calendar events over REST: create, list, read, change, delete, RSVP. Range
//! views (occurrences, free/busy) and iCalendar (feed, import) are in
//! [`views`].
//!
//! An event is an object: the envelope (`id`, `kind: "event"`, `owner_id`,
//! `visibility`, `conversation_id`, `created_at`, `updated_at`) around its
//! `payload`.

pub mod ics;
pub mod views;

use axum::extract::{Path, Query, State};
use caas_storage::{CalEvent, ConversationId, EventId, EventInput, NewEvent, Rsvp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::input::{limit, present, user_ids};
use crate::http::wire::rfc3339_ms;

crate::handle! {
    /// What calendars need.
    Calendar => CalendarParts
}

/// The parts of a [`Calendar`].
pub struct CalendarParts {
    /// The database.
    pub store: caas_storage::Store,
    /// New events reach webhooks.
    pub notifier: crate::notify::Notifier,
    /// The iCalendar feed is authenticated by `?token=` here.
    pub gate: crate::gate::Gate,
}

pub(crate) fn event_id(raw: &str) -> Result<EventId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "event not found"))
}

fn utc() -> String {
    "UTC".to_owned()
}

/// Input of `POST /v1/calendar/events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// 1–200 characters.
    pub title: String,
    /// Up to 8000 characters.
    pub description: Option<String>,
    /// Up to 500 characters.
    pub location: Option<String>,
    /// IANA time zone name (default `UTC`); start, end and recurrence are read in it.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// Whole days: `start` and `end` are dates, the end exclusive.
    #[serde(default)]
    pub all_day: bool,
    /// Wall-clock `YYYY-MM-DDTHH:MM[:SS]` in the zone, RFC 3339, or a date for all-day events.
    pub start: String,
    /// Like `start`; default one hour (or one day) later.
    pub end: Option<String>,
    /// Recurrence rule, e.g. `FREQ=WEEKLY;BYDAY=MO,WE` (DAILY, WEEKLY, MONTHLY or YEARLY).
    pub rrule: Option<String>,
    /// Starts of occurrences to leave out, in the form of `start`.
    #[serde(default)]
    pub exdates: Vec<String>,
    /// Minutes before each occurrence to remind attendees (0–40320, at most 10).
    #[serde(default)]
    pub reminders: Vec<i64>,
    /// User ids invited (they must be users of the app).
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Carry a call: `call_room_id` (`event:<id>`) is then the room to join.
    #[serde(default)]
    pub call: bool,
    /// Members of this conversation see the event (you must be one).
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
}

/// Input of `PATCH /v1/calendar/events/{id}`: absent fields are kept, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchEvent {
    /// New title.
    pub title: Option<String>,
    /// New description (`null` clears).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// New location (`null` clears).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    /// New zone (wall-clock times are kept).
    pub time_zone: Option<String>,
    /// Whole days or not (give `start` and `end` with it).
    pub all_day: Option<bool>,
    /// New start.
    pub start: Option<String>,
    /// New end.
    pub end: Option<String>,
    /// New rule (`null`: no longer recurring).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub rrule: Option<Option<String>>,
    /// New exception list.
    pub exdates: Option<Vec<String>>,
    /// New reminders.
    pub reminders: Option<Vec<i64>>,
    /// New attendee list (those who stay keep their answers).
    pub attendees: Option<Vec<String>>,
    /// Carry a call or not.
    pub call: Option<bool>,
}

/// An attendee and their answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeeBody {
    /// User id.
    pub user_id: String,
    /// `needs_action`, `accepted`, `declined` or `tentative`.
    pub rsvp: &'static str,
}

/// What an event holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPayload {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Location.
    pub location: Option<String>,
    /// IANA zone.
    pub time_zone: String,
    /// Whole days.
    pub all_day: bool,
    /// Wall-clock start in the zone (a date for all-day events).
    pub start: String,
    /// Wall-clock end in the zone (exclusive date for all-day events).
    pub end: String,
    /// First start, RFC 3339 UTC.
    pub starts_at: String,
    /// First end, RFC 3339 UTC.
    pub ends_at: String,
    /// Recurrence rule (UNTIL normalized to UTC).
    pub rrule: Option<String>,
    /// Occurrences left out.
    pub exdates: Vec<String>,
    /// Minutes before, ascending.
    pub reminders: Vec<i64>,
    /// Invited users (the organizer is `owner_id`).
    pub attendees: Vec<AttendeeBody>,
    /// The organizer's own answer.
    pub organizer_rsvp: &'static str,
    /// Whether it carries a call.
    pub call: bool,
    /// The room to join for the call (`event:<id>`).
    pub call_room_id: Option<String>,
    /// The UID it was imported with.
    pub ical_uid: Option<String>,
}

/// An event as an object.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventObject {
    /// Id.
    pub id: String,
    /// Always `event`.
    pub kind: &'static str,
    /// The organizer.
    pub owner_id: String,
    /// `private` (organizer and attendees) or `conversation` (also its members).
    pub visibility: &'static str,
    /// The conversation.
    pub conversation_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The event's fields.
    pub payload: EventPayload,
}

impl From<&CalEvent> for EventObject {
    fn from(e: &CalEvent) -> Self {
        let first = e.schedule.first();
        EventObject {
            id: e.id.to_string(),
            kind: "event",
            owner_id: e.owner_id.to_string(),
            visibility: if e.conversation_id.is_some() { "conversation" } else { "private" },
            conversation_id: e.conversation_id.map(|c| c.to_string()),
            created_at: rfc3339_ms(e.created_at),
            updated_at: rfc3339_ms(e.updated_at),
            payload: EventPayload {
                title: e.title.clone(),
                description: e.description.clone(),
                location: e.location.clone(),
                time_zone: e.schedule.time_zone().to_owned(),
                all_day: e.schedule.all_day(),
                start: first.start,
                end: first.end,
                starts_at: rfc3339_ms(first.start_ms),
                ends_at: rfc3339_ms(first.end_ms),
                rrule: e.schedule.rule().map(str::to_owned),
                exdates: e.schedule.exdate_texts(),
                reminders: e.reminders.clone(),
                attendees: e
                    .attendees
                    .iter()
                    .map(|a| AttendeeBody { user_id: a.user_id.to_string(), rsvp: a.rsvp.as_str() })
                    .collect(),
                organizer_rsvp: e.organizer_rsvp.as_str(),
                call: e.call,
                call_room_id: e.call_room_id(),
                ical_uid: e.ical_uid.clone(),
            },
        }
    }
}

/// `{"event": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    /// The event.
    pub event: EventObject,
}

impl From<&CalEvent> for EventBody {
    fn from(e: &CalEvent) -> Self {
        EventBody { event: e.into() }
    }
}

/// Creates an event organized by the caller.
#[utoipa::path(
    post, path = "/v1/calendar/events", tag = "calendar", security(("session_token" = [])), request_body = CreateEvent,
    responses((status = 200, body = EventBody), (status = 401, body = ErrorBody),
        (status = 404, description = "conversation not found", body = ErrorBody),
        (status = 422, description = "`invalid_title`, `invalid_timezone`, `invalid_time`, `end_before_start`, `invalid_rrule`, `invalid_exdate`, `invalid_reminders`, `unknown_user`, `invalid_user_id`, `invalid_body`…", body = ErrorBody))
)]
pub async fn create(
    State(state): State<Calendar>,
    user: EndUser,
    ApiJson(input): ApiJson<CreateEvent>,
) -> Result<ApiJson<EventBody>, ApiError> {
    let new = NewEvent {
        input: EventInput {
            title: input.title,
            description: input.description,
            location: input.location,
            time_zone: input.time_zone,
            all_day: input.all_day,
            start: input.start,
            end: input.end,
            rrule: input.rrule,
            exdates: input.exdates,
            reminders: input.reminders,
            attendees: user_ids(&input.attendees)?,
            call: input.call,
        },
        conversation_id: input.conversation_id,
        ical_uid: None,
    };
    let event = state.store.app(user.app_id).create_event(&user.user_id, &new).await?;
    let body: EventBody = (&event).into();
    crate::notify::webhooks::emit(
        &state.notifier,
        user.app_id,
        "event.created",
        serde_json::to_value(&body).unwrap_or_default(),
    );
    Ok(ApiJson(body))
}

/// Query of `GET /v1/calendar/events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListEvents {
    /// Only events of this conversation.
    #[param(value_type = Option<String>)]
    pub conversation: Option<ConversationId>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 30).
    pub limit: Option<i64>,
}

/// `{"events": […], "next_cursor": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsBody {
    /// Newest first.
    pub events: Vec<EventObject>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The events the caller may see, newest first.
#[utoipa::path(
    get, path = "/v1/calendar/events", tag = "calendar", security(("session_token" = [])), params(ListEvents),
    responses((status = 200, body = EventsBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Calendar>,
    user: EndUser,
    Query(q): Query<ListEvents>,
) -> Result<ApiJson<EventsBody>, ApiError> {
    let limit = limit(q.limit, 30, 100)?;
    let page =
        state.store.app(user.app_id).list_events(&user.user_id, q.conversation, q.cursor.as_deref(), limit).await?;
    Ok(ApiJson(EventsBody { events: page.items.iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// An event the caller may see.
#[utoipa::path(
    get, path = "/v1/calendar/events/{id}", tag = "calendar", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = EventBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Calendar>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<EventBody>, ApiError> {
    let event = state.store.app(user.app_id).event_for(event_id(&id)?, &user.user_id).await?;
    Ok(ApiJson((&event).into()))
}

/// Changes an event (organizer only); nothing changes if any field is refused.
#[utoipa::path(
    patch, path = "/v1/calendar/events/{id}", tag = "calendar", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = PatchEvent,
    responses((status = 200, body = EventBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn patch(
    State(state): State<Calendar>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PatchEvent>,
) -> Result<ApiJson<EventBody>, ApiError> {
    let id = event_id(&id)?;
    let scope = state.store.app(user.app_id);
    let current = scope.event_for(id, &user.user_id).await?;
    let mut input = current.to_input();
    if let Some(v) = p.title {
        input.title = v;
    }
    if let Some(v) = p.description {
        input.description = v;
    }
    if let Some(v) = p.location {
        input.location = v;
    }
    if let Some(v) = p.time_zone {
        input.time_zone = v;
    }
    if let Some(v) = p.all_day {
        input.all_day = v;
    }
    if let Some(v) = p.start {
        input.start = v;
    }
    if let Some(v) = p.end {
        input.end = Some(v);
    }
    if let Some(v) = p.rrule {
        input.rrule = v;
    }
    if let Some(v) = p.exdates {
        input.exdates = v;
    }
    if let Some(v) = p.reminders {
        input.reminders = v;
    }
    if let Some(v) = p.attendees {
        input.attendees = user_ids(&v)?;
    }
    if let Some(v) = p.call {
        input.call = v;
    }
    let event = scope.update_event(id, &user.user_id, &input).await?;
    Ok(ApiJson((&event).into()))
}

/// Deletes an event (organizer only).
#[utoipa::path(
    delete, path = "/v1/calendar/events/{id}", tag = "calendar", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<Calendar>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    state.store.app(user.app_id).delete_event(event_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(serde_json::json!({})))
}

/// Input of `POST /v1/calendar/events/{id}/rsvp`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RsvpInput {
    /// `accepted`, `declined`, `tentative` or `needs_action`.
    pub rsvp: String,
}

/// Answers an invitation (attendees and the organizer).
#[utoipa::path(
    post, path = "/v1/calendar/events/{id}/rsvp", tag = "calendar", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = RsvpInput,
    responses((status = 200, body = EventBody), (status = 403, description = "not invited", body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn rsvp(
    State(state): State<Calendar>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RsvpInput>,
) -> Result<ApiJson<EventBody>, ApiError> {
    let answer: Rsvp = input.rsvp.parse()?;
    let event = state.store.app(user.app_id).rsvp_event(event_id(&id)?, &user.user_id, answer).await?;
    Ok(ApiJson((&event).into()))
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Calendar: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, patch, delete))
        .routes(routes!(rsvp))
        .routes(routes!(views::occurrences))
        .routes(routes!(views::freebusy))
        .routes(routes!(views::feed))
        .routes(routes!(views::import))
}
