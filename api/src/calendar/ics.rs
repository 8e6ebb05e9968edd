//! iCalendar (RFC 5545) through the `icalendar` crate: a user's feed of
//! events, and events read from an `.ics` file.
//!
//! The feed writes wall-clock times with IANA `TZID`s (as most calendar
//! services do, without `VTIMEZONE` blocks), UTC for events in UTC, and dates
//! for all-day events; RRULE, EXDATE, reminders (`VALARM`), the organizer and
//! attendees (`urn:caas:user:<id>`, with `PARTSTAT`), and the call room
//! (`X-CAAS-CALL-ROOM`).

use caas_storage::{CalEvent, ConversationId, EventInput, NewEvent, UserId};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use icalendar::parser::{Component as Parsed, Property as ParsedProperty};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Property, Trigger};

use crate::http::error::ApiError;

/// Most events one import takes.
pub const MAX_IMPORT: usize = 100;

fn ics_day(local: &str) -> String {
    local.replace('-', "")
}

fn ics_local(local: &str) -> String {
    local.replace(['-', ':'], "")
}

/// A DTSTART/DTEND/EXDATE property for a stored wall-clock text of `e`.
fn when(key: &str, e: &CalEvent, local: &str) -> Property {
    let tz = e.schedule.time_zone();
    if e.schedule.all_day() {
        Property::new(key, ics_day(local)).add_parameter("VALUE", "DATE").done()
    } else if tz == "UTC" {
        Property::new(key, format!("{}Z", ics_local(local)))
    } else {
        Property::new(key, ics_local(local)).add_parameter("TZID", tz).done()
    }
}

fn partstat(rsvp: caas_storage::Rsvp) -> &'static str {
    match rsvp {
        caas_storage::Rsvp::NeedsAction => "NEEDS-ACTION",
        caas_storage::Rsvp::Accepted => "ACCEPTED",
        caas_storage::Rsvp::Declined => "DECLINED",
        caas_storage::Rsvp::Tentative => "TENTATIVE",
    }
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The iCalendar text of `user`'s feed.
pub fn feed(user: &UserId, events: &[CalEvent]) -> String {
    let mut cal = Calendar::new();
    cal.name(&format!("CAAS calendar of {user}"));
    for e in events {
        let mut ev = Event::new();
        ev.uid(&e.ical_uid.clone().unwrap_or_else(|| format!("{}@caas", e.id)));
        ev.summary(&e.title);
        ev.timestamp(utc(e.updated_at));
        ev.created(utc(e.created_at));
        ev.last_modified(utc(e.updated_at));
        if let Some(d) = &e.description {
            ev.description(d);
        }
        if let Some(l) = &e.location {
            ev.location(l);
        }
        ev.append_property(when("DTSTART", e, &e.schedule.start_text()));
        ev.append_property(when("DTEND", e, &e.schedule.end_text()));
        if let Some(rule) = e.schedule.rule() {
            ev.add_property("RRULE", rule);
        }
        for x in e.schedule.exdate_texts() {
            ev.append_multi_property(when("EXDATE", e, &x));
        }
        let organizer = e.owner_id.as_str();
        ev.append_property(
            Property::new("ORGANIZER", format!("urn:caas:user:{organizer}")).add_parameter("CN", organizer).done(),
        );
        for a in &e.attendees {
            let id = a.user_id.as_str();
            ev.append_multi_property(
                Property::new("ATTENDEE", format!("urn:caas:user:{id}"))
                    .add_parameter("CN", id)
                    .add_parameter("PARTSTAT", partstat(a.rsvp))
                    .done(),
            );
        }
        if let Some(room) = e.call_room_id() {
            ev.add_property("X-CAAS-CALL-ROOM", room);
        }
        if let Some(conv) = e.conversation_id {
            ev.add_property("X-CAAS-CONVERSATION", conv.to_string());
        }
        for m in &e.reminders {
            ev.alarm(Alarm::display(&e.title, Trigger::before_start(TimeDelta::minutes(*m))));
        }
        cal.push(ev.done());
    }
    cal.done().to_string()
}

/// Events read from an `.ics`, ready to create.
#[derive(Debug)]
pub struct Imported {
    /// One per VEVENT.
    pub events: Vec<NewEvent>,
    /// VEVENTs left out: changes to single occurrences (`RECURRENCE-ID`).
    pub skipped: usize,
}

fn invalid_ics(message: impl Into<String>) -> ApiError {
    ApiError::invalid("invalid_ics", message)
}

/// A date or time as iCalendar writes it.
#[derive(Debug, Clone, PartialEq)]
enum Moment {
    Date(NaiveDate),
    Utc(DateTime<Utc>),
    /// Wall-clock time in the named zone (`None`: floating).
    Local(NaiveDateTime, Option<String>),
}

fn param<'a>(p: &'a ParsedProperty<'_>, key: &str) -> Option<&'a str> {
    p.params.iter().find(|x| x.key.as_str().eq_ignore_ascii_case(key)).and_then(|x| x.val.as_ref()).map(|v| v.as_str())
}

fn moment(value: &str, tzid: Option<&str>) -> Option<Moment> {
    let v = value.trim();
    if v.len() == 8 {
        return NaiveDate::parse_from_str(v, "%Y%m%d").ok().map(Moment::Date);
    }
    if let Some(u) = v.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(u, "%Y%m%dT%H%M%S").ok().map(|t| Moment::Utc(t.and_utc()));
    }
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok().map(|t| Moment::Local(t, tzid.map(str::to_owned)))
}

fn moments(p: &ParsedProperty<'_>) -> Result<Vec<Moment>, ApiError> {
    let tzid = param(p, "TZID");
    p.val
        .as_str()
        .split(',')
        .map(|v| {
            moment(v, tzid).ok_or_else(|| invalid_ics(format!("{}: `{v}` is not a date or date-time", p.name.as_str())))
        })
        .collect()
}

/// The text `Schedule` reads for `m` in an event whose zone is `tz`.
fn text(m: &Moment, tz: &str) -> Result<String, ApiError> {
    Ok(match m {
        Moment::Date(d) => d.format("%Y-%m-%d").to_string(),
        Moment::Utc(t) => t.to_rfc3339(),
        Moment::Local(t, None) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Moment::Local(t, Some(z)) if z == tz => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Moment::Local(t, Some(z)) => {
            let zone = caas_storage::calendar::recur::parse_tz(z)
                .map_err(|e| ApiError::invalid("invalid_timezone", e.to_string()))?;
            caas_storage::calendar::recur::resolve(zone, *t).with_timezone(&Utc).to_rfc3339()
        }
    })
}

/// An RFC 5545 duration (`-PT15M`, `P1D`, `P1W`…) in seconds.
fn duration_secs(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let (sign, s) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let s = s.strip_prefix('P')?;
    let (mut total, mut num, mut in_time, mut any) = (0_i64, String::new(), false, false);
    for c in s.chars() {
        match c {
            '0'..='9' => num.push(c),
            'T' if num.is_empty() => in_time = true,
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                any = true;
                total += n * match (c, in_time) {
                    ('W', false) => 604_800,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
            }
            _ => return None,
        }
    }
    (any && num.is_empty()).then_some(sign * total)
}

fn clip(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

fn vevent(
    c: &Parsed<'_>,
    default_tz: Option<&str>,
    conversation: Option<ConversationId>,
) -> Result<NewEvent, ApiError> {
    let value = |name: &str| c.find_prop(name).map(|p| p.val.as_str().trim().to_owned()).filter(|v| !v.is_empty());
    let start_prop = c.find_prop("DTSTART").ok_or_else(|| invalid_ics("a VEVENT needs DTSTART"))?;
    let start = moments(start_prop)?.into_iter().next().ok_or_else(|| invalid_ics("DTSTART is empty"))?;
    let tz = match &start {
        Moment::Local(_, Some(z)) => z.clone(),
        _ => default_tz.unwrap_or("UTC").to_owned(),
    };
    let all_day = matches!(start, Moment::Date(_));
    let end = match (c.find_prop("DTEND"), value("DURATION")) {
        (Some(p), _) => moments(p)?.into_iter().next().map(|m| text(&m, &tz)).transpose()?,
        (None, Some(d)) => {
            let secs = duration_secs(&d).ok_or_else(|| invalid_ics(format!("DURATION `{d}` does not parse")))?;
            let delta = TimeDelta::seconds(secs);
            Some(match &start {
                Moment::Date(d) => (*d + delta).format("%Y-%m-%d").to_string(),
                Moment::Utc(t) => (*t + delta).to_rfc3339(),
                Moment::Local(t, z) => text(&Moment::Local(*t + delta, z.clone()), &tz)?,
            })
        }
        (None, None) => None,
    };
    let mut exdates = Vec::new();
    for p in c.properties.iter().filter(|p| p.name.as_str() == "EXDATE") {
        for m in moments(p)? {
            exdates.push(text(&m, &tz)?);
        }
    }
    let mut reminders = Vec::new();
    for alarm in c.components.iter().filter(|a| a.name.as_str() == "VALARM") {
        let Some(trigger) = alarm.find_prop("TRIGGER") else { continue };
        let related_end = param(trigger, "RELATED").is_some_and(|r| r.eq_ignore_ascii_case("END"));
        match duration_secs(trigger.val.as_str()) {
            Some(secs) if secs <= 0 && !related_end => reminders.push(-secs / 60),
            _ => {} // absolute, after the start, or relative to the end: not a lead time
        }
    }
    Ok(NewEvent {
        input: EventInput {
            title: value("SUMMARY").map(|s| clip(&s, 200)).unwrap_or_else(|| "(no title)".to_owned()),
            description: value("DESCRIPTION").map(|s| clip(&s, 8000)),
            location: value("LOCATION").map(|s| clip(&s, 500)),
            time_zone: tz.clone(),
            all_day,
            start: text(&start, &tz)?,
            end,
            rrule: value("RRULE"),
            exdates,
            reminders,
            attendees: Vec::new(),
            call: false,
        },
        conversation_id: conversation,
        ical_uid: value("UID").map(|u| clip(&u, 255)),
    })
}

/// Reads the VEVENTs of an `.ics` (at most [`MAX_IMPORT`]). Floating times are
/// read in the calendar's `X-WR-TIMEZONE`, else UTC; attendees are not imported.
pub fn parse(text: &str, conversation: Option<ConversationId>) -> Result<Imported, ApiError> {
    let unfolded = icalendar::parser::unfold(text);
    let cal = icalendar::parser::read_calendar(&unfolded).map_err(|e| {
        invalid_ics(format!("not an iCalendar file: {}", e.lines().take(3).collect::<Vec<_>>().join(" ")))
    })?;
    let default_tz =
        cal.properties.iter().find(|p| p.name.as_str() == "X-WR-TIMEZONE").map(|p| p.val.as_str().trim().to_owned());
    let mut events = Vec::new();
    let mut skipped = 0;
    for c in cal.components.iter().filter(|c| c.name.as_str() == "VEVENT") {
        if c.find_prop("RECURRENCE-ID").is_some() {
            skipped += 1;
            continue;
        }
        if events.len() == MAX_IMPORT {
            return Err(ApiError::invalid("too_many_events", format!("at most {MAX_IMPORT} events per import")));
        }
        events.push(vevent(c, default_tz.as_deref(), conversation)?);
    }
    if events.is_empty() {
        return Err(invalid_ics("no VEVENT to import"));
    }
    Ok(Imported { events, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(duration_secs("-PT15M"), Some(-900));
        assert_eq!(duration_secs("P1DT2H"), Some(93_600));
        assert_eq!(duration_secs("P1W"), Some(604_800));
        assert_eq!(duration_secs("PT"), None);
        assert_eq!(duration_secs("P1H"), None);
        assert_eq!(duration_secs("15M"), None);
    }

    #[test]
    fn vevents_become_inputs() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:abc@example\r\nSUMMARY:Standup\\, daily\r\n\
                   DTSTART;TZID=Europe/Berlin:20250317T090000\r\nDURATION:PT15M\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
                   EXDATE;TZID=Europe/Berlin:20250318T090000,20250319T090000\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
                   TRIGGER:-PT10M\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:abc@example\r\n\
                   RECURRENCE-ID;TZID=Europe/Berlin:20250320T090000\r\nDTSTART;TZID=Europe/Berlin:20250320T100000\r\n\
                   END:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20251224\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let got = parse(ics, None).unwrap();
        assert_eq!((got.events.len(), got.skipped), (2, 1));
        let e = &got.events[0].input;
        assert_eq!(e.title, "Standup, daily");
        assert_eq!((e.time_zone.as_str(), e.start.as_str()), ("Europe/Berlin", "2025-03-17T09:00:00"));
        assert_eq!(e.end.as_deref(), Some("2025-03-17T09:15:00"));
        assert_eq!(e.exdates, ["2025-03-18T09:00:00", "2025-03-19T09:00:00"]);
        assert_eq!(e.reminders, [10]);
        assert_eq!(got.events[0].ical_uid.as_deref(), Some("abc@example"));
        let h = &got.events[1].input;
        assert!(h.all_day);
        assert_eq!((h.start.as_str(), h.time_zone.as_str()), ("2025-12-24", "UTC"));
        assert_eq!(parse("hello", None).unwrap_err().code, "invalid_ics");
        assert_eq!(parse("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", None).unwrap_err().code, "invalid_ics");
    }
}
