//! Calendar events: title, description, location, wall-clock start and end in
//! an IANA time zone (or whole days), recurrence (RRULE, EXDATE), reminders,
//! attendees with their RSVP, an optional call room, and an optional
//! conversation.
//!
//! Who sees an event: its organizer and attendees; for an event in a
//! conversation, that conversation's members too. Everyone else — and every
//! other app — gets `NotFound`. Only the organizer changes or deletes it.

mod query;
pub mod recur;
mod repo;

use std::str::FromStr;

pub use query::{BusyMap, EventOccurrence, OccurrencePage};
pub use recur::{Occurrence, Schedule, ScheduleError, ScheduleSpec};
pub(crate) use repo::{parse_cursor, require_member, users_exist};

use crate::{ConversationId, EventId, Result, StoreError, UserId};

/// Limits on what an event may hold.
pub mod limits {
    /// Longest title, in characters.
    pub const TITLE: usize = 200;
    /// Longest description, in characters.
    pub const DESCRIPTION: usize = 8000;
    /// Longest location, in characters.
    pub const LOCATION: usize = 500;
    /// Most attendees (besides the organizer).
    pub const ATTENDEES: usize = 200;
    /// Most reminders.
    pub const REMINDERS: usize = 10;
    /// Longest reminder lead, in minutes (four weeks).
    pub const REMINDER_MINUTES: i64 = 40_320;
}

/// An attendee's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rsvp {
    /// Not answered yet.
    NeedsAction,
    /// Coming.
    Accepted,
    /// Not coming.
    Declined,
    /// Maybe.
    Tentative,
}

impl Rsvp {
    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rsvp::NeedsAction => "needs_action",
            Rsvp::Accepted => "accepted",
            Rsvp::Declined => "declined",
            Rsvp::Tentative => "tentative",
        }
    }
}

impl FromStr for Rsvp {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "needs_action" => Ok(Rsvp::NeedsAction),
            "accepted" => Ok(Rsvp::Accepted),
            "declined" => Ok(Rsvp::Declined),
            "tentative" => Ok(Rsvp::Tentative),
            _ => Err(StoreError::Invalid {
                code: "invalid_rsvp",
                message: "rsvp must be needs_action, accepted, declined or tentative".into(),
            }),
        }
    }
}

/// Someone invited to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The user.
    pub user_id: UserId,
    /// Their answer.
    pub rsvp: Rsvp,
}

/// A stored event.
#[derive(Debug, Clone)]
pub struct CalEvent {
    /// Id.
    pub id: EventId,
    /// The organizer.
    pub owner_id: UserId,
    /// The conversation whose members see it.
    pub conversation_id: Option<ConversationId>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Location.
    pub location: Option<String>,
    /// When (zone, start, end, recurrence).
    pub schedule: Schedule,
    /// Minutes before each occurrence to remind attendees, ascending.
    pub reminders: Vec<i64>,
    /// Whether the event carries a call (room `event:<id>`).
    pub call: bool,
    /// The UID it was imported with, if any.
    pub ical_uid: Option<String>,
    /// Attendees, the organizer excluded, by user id.
    pub attendees: Vec<Attendee>,
    /// The organizer's own answer.
    pub organizer_rsvp: Rsvp,
    /// Ms since the epoch.
    pub created_at: i64,
    /// Ms since the epoch.
    pub updated_at: i64,
}

impl CalEvent {
    /// The room id a call of this event is joined with.
    pub fn call_room_id(&self) -> Option<String> {
        self.call.then(|| format!("event:{}", self.id))
    }

    /// Everything a client may change, as it is now (the base of a partial update).
    pub fn to_input(&self) -> EventInput {
        EventInput {
            title: self.title.clone(),
            description: self.description.clone(),
            location: self.location.clone(),
            time_zone: self.schedule.time_zone().to_owned(),
            all_day: self.schedule.all_day(),
            start: self.schedule.start_text(),
            end: Some(self.schedule.end_text()),
            rrule: self.schedule.rule().map(str::to_owned),
            exdates: self.schedule.exdate_texts(),
            reminders: self.reminders.clone(),
            attendees: self.attendees.iter().map(|a| a.user_id.clone()).collect(),
            call: self.call,
        }
    }
}

/// The fields of an event a client sets.
#[derive(Debug, Clone)]
pub struct EventInput {
    /// 1–200 characters.
    pub title: String,
    /// Up to 8000 characters.
    pub description: Option<String>,
    /// Up to 500 characters.
    pub location: Option<String>,
    /// IANA time zone name.
    pub time_zone: String,
    /// Whole days.
    pub all_day: bool,
    /// Start (see [`recur`]).
    pub start: String,
    /// End (default: an hour, or a day, after the start).
    pub end: Option<String>,
    /// Recurrence rule.
    pub rrule: Option<String>,
    /// Occurrences left out.
    pub exdates: Vec<String>,
    /// Minutes before.
    pub reminders: Vec<i64>,
    /// Attendees besides the organizer.
    pub attendees: Vec<UserId>,
    /// Carries a call.
    pub call: bool,
}

/// A new event: its fields, an optional conversation and an imported UID.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The fields.
    pub input: EventInput,
    /// Members of this conversation see it (the organizer must be one).
    pub conversation_id: Option<ConversationId>,
    /// UID from an imported `.ics`.
    pub ical_uid: Option<String>,
}

/// An [`EventInput`] that passed every check.
pub(crate) struct ValidEvent {
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub schedule: Schedule,
    pub reminders: Vec<i64>,
    pub attendees: Vec<UserId>,
    pub call: bool,
}

fn invalid(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid { code, message: message.into() }
}

impl From<ScheduleError> for StoreError {
    fn from(e: ScheduleError) -> Self {
        StoreError::Invalid { code: e.code(), message: e.to_string() }
    }
}

/// Trims an optional text; empty becomes `None`; longer than `max` characters is refused.
pub(crate) fn optional_text(v: &Option<String>, max: usize, code: &'static str, what: &str) -> Result<Option<String>> {
    let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(invalid(code, format!("{what} must be at most {max} characters")));
    }
    Ok(Some(v.to_owned()))
}

/// A title: trimmed, 1 to `max` characters.
pub(crate) fn title(v: &str, max: usize) -> Result<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(invalid("invalid_title", format!("title must be 1 to {max} characters")));
    }
    Ok(t.to_owned())
}

impl EventInput {
    /// Checks every field; `owner` is left out of the attendees.
    pub(crate) fn validate(&self, owner: &UserId) -> Result<ValidEvent> {
        let title = title(&self.title, limits::TITLE)?;
        let description = optional_text(&self.description, limits::DESCRIPTION, "invalid_description", "description")?;
        let location = optional_text(&self.location, limits::LOCATION, "invalid_location", "location")?;
        let schedule = Schedule::new(&ScheduleSpec {
            time_zone: &self.time_zone,
            all_day: self.all_day,
            start: &self.start,
            end: self.end.as_deref(),
            rrule: self.rrule.as_deref(),
            exdates: &self.exdates,
        })?;
        if self.reminders.len() > limits::REMINDERS
            || self.reminders.iter().any(|m| !(0..=limits::REMINDER_MINUTES).contains(m))
        {
            return Err(invalid(
                "invalid_reminders",
                format!(
                    "reminders are at most {} lead times of 0 to {} minutes",
                    limits::REMINDERS,
                    limits::REMINDER_MINUTES
                ),
            ));
        }
        let mut reminders = self.reminders.clone();
        reminders.sort_unstable();
        reminders.dedup();
        let mut attendees: Vec<UserId> = self.attendees.iter().filter(|u| *u != owner).cloned().collect();
        attendees.sort();
        attendees.dedup();
        if attendees.len() > limits::ATTENDEES {
            return Err(invalid("too_many_attendees", format!("at most {} attendees", limits::ATTENDEES)));
        }
        Ok(ValidEvent { title, description, location, schedule, reminders, attendees, call: self.call })
    }
}

/// A page of events.
pub type EventPage = crate::Page<CalEvent>;

impl crate::Listed for CalEvent {
    const ITEMS: &'static str = "events";
    fn cursor(&self) -> String {
        crate::time_cursor_of(self.created_at, self.id)
    }
}

/// One stored row of `cal_events`.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub app_id: String,
    pub id: String,
    pub owner_id: String,
    pub conversation_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub time_zone: String,
    pub all_day: i64,
    pub start_local: String,
    pub end_local: String,
    pub rrule: Option<String>,
    pub exdates: String,
    pub reminders: String,
    pub is_call: i64,
    pub ical_uid: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of [`EventRow`], for `SELECT … FROM cal_events e`.
macro_rules! event_columns {
    () => {
        "e.app_id, e.id, e.owner_id, e.conversation_id, e.title, e.description, e.location, e.time_zone, \
         e.all_day, e.start_local, e.end_local, e.rrule, e.exdates, e.reminders, e.is_call, e.ical_uid, \
         e.created_at, e.updated_at"
    };
}
pub(crate) use event_columns;

/// SQL that is true when `cal_events e` is visible to the user bound at `$n`.
macro_rules! visible_to {
    ($n:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM cal_attendees va WHERE va.app_id = e.app_id AND va.event_id = e.id AND va.user_id = ",
            $n,
            ") OR (e.conversation_id IS NOT NULL AND EXISTS (SELECT 1 FROM members vm WHERE vm.app_id = e.app_id \
             AND vm.conversation_id = e.conversation_id AND vm.user_id = ",
            $n,
            ")))"
        )
    };
}
pub(crate) use visible_to;

pub(crate) use crate::parse_column as parse;

impl EventRow {
    /// The schedule this row describes.
    pub(crate) fn schedule(&self) -> Result<Schedule> {
        let exdates = crate::json_list("cal_events.exdates", &self.exdates)?;
        Schedule::new(&ScheduleSpec {
            time_zone: &self.time_zone,
            all_day: self.all_day != 0,
            start: &self.start_local,
            end: Some(&self.end_local),
            rrule: self.rrule.as_deref(),
            exdates: &exdates,
        })
        .map_err(|e| StoreError::Corrupt { column: "cal_events", reason: e.to_string() })
    }

    pub(crate) fn reminders(&self) -> Result<Vec<i64>> {
        serde_json::from_str(&self.reminders)
            .map_err(|e| StoreError::Corrupt { column: "cal_events.reminders", reason: e.to_string() })
    }

    /// The event, with its attendee rows `(user, rsvp, organizer)`.
    pub(crate) fn into_event(self, rows: Vec<(String, String, i64)>) -> Result<CalEvent> {
        let schedule = self.schedule()?;
        let reminders = self.reminders()?;
        let mut attendees = Vec::new();
        let mut organizer_rsvp = Rsvp::Accepted;
        for (user, rsvp, organizer) in rows {
            let rsvp: Rsvp = parse("cal_attendees.rsvp", &rsvp)?;
            if organizer != 0 {
                organizer_rsvp = rsvp;
            } else {
                attendees.push(Attendee { user_id: parse("cal_attendees.user_id", &user)?, rsvp });
            }
        }
        attendees.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(CalEvent {
            id: parse("cal_events.id", &self.id)?,
            owner_id: parse("cal_events.owner_id", &self.owner_id)?,
            conversation_id: self
                .conversation_id
                .as_deref()
                .map(|c| parse("cal_events.conversation_id", c))
                .transpose()?,
            title: self.title,
            description: self.description,
            location: self.location,
            schedule,
            reminders,
            call: self.is_call != 0,
            ical_uid: self.ical_uid,
            attendees,
            organizer_rsvp,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Statements that erase a user's calendar data (bound: `$1` app, `$2` user).
pub(crate) const ERASE_USER: [&str; 2] = [
    "DELETE FROM cal_events WHERE app_id = $1 AND owner_id = $2",
    "DELETE FROM cal_attendees WHERE app_id = $1 AND user_id = $2",
];
