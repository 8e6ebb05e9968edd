//! When an event happens: wall-clock start and end in an IANA time zone, and
//! recurrence (RRULE, EXDATE) expanded through the `rrule` crate. Pure — no
//! I/O — and unit-tested at the bottom.
//!
//! An event's times are kept as wall-clock times in its zone, so a weekly
//! 09:00 meeting in Europe/Berlin stays at 09:00 local time across daylight
//! saving changes while its UTC instant shifts. A wall time that does not
//! exist (inside a spring-forward gap) moves an hour later; one that exists
//! twice (fall-back) takes the earlier instant.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use rrule::{RRule, RRuleSet, Unvalidated};

const LOCAL_FMT: &str = "%Y-%m-%dT%H:%M:%S";
const DATE_FMT: &str = "%Y-%m-%d";
/// Earliest and latest years an event may use (keeps arithmetic far from chrono's limits).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// Most EXDATEs one event may carry.
pub const MAX_EXDATES: usize = 500;

/// Why a schedule is not acceptable. [`ScheduleError::code`] names it for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not an IANA time zone name.
    #[error("`{0}` is not an IANA time zone name (e.g. Europe/Berlin)")]
    Timezone(String),
    /// A start, end or date that does not parse or is out of range.
    #[error("{0}")]
    Time(String),
    /// The end is not after the start.
    #[error("the end must be after the start")]
    EndBeforeStart,
    /// The recurrence rule is malformed or not supported.
    #[error("invalid RRULE: {0}")]
    Rrule(String),
    /// An exception date is malformed.
    #[error("{0}")]
    Exdate(String),
}

impl ScheduleError {
    /// The snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::Timezone(_) => "invalid_timezone",
            ScheduleError::Time(_) => "invalid_time",
            ScheduleError::EndBeforeStart => "end_before_start",
            ScheduleError::Rrule(_) => "invalid_rrule",
            ScheduleError::Exdate(_) => "invalid_exdate",
        }
    }
}

/// Parses an IANA time zone name.
pub fn parse_tz(name: &str) -> Result<Tz, ScheduleError> {
    name.trim().parse::<Tz>().map_err(|_| ScheduleError::Timezone(name.to_owned()))
}

/// The instant of wall-clock time `t` in `tz` (gap: an hour later; overlap: the earlier one).
pub fn resolve(tz: Tz, t: NaiveDateTime) -> DateTime<Tz> {
    match tz.from_local_datetime(&t) {
        LocalResult::Single(d) => d,
        LocalResult::Ambiguous(earlier, _) => earlier,
        LocalResult::None => {
            tz.from_local_datetime(&(t + TimeDelta::hours(1))).earliest().unwrap_or_else(|| tz.from_utc_datetime(&t))
        }
    }
}

/// Milliseconds since the epoch of an instant.
fn ms<Z: TimeZone>(t: &DateTime<Z>) -> i64 {
    t.timestamp_millis()
}

/// The UTC instant of `ms`, clamped into the supported years.
fn instant(ms: i64) -> DateTime<Utc> {
    let lo = NaiveDate::from_ymd_opt(*YEARS.start(), 1, 1).unwrap_or_default().and_time(NaiveTime::MIN).and_utc();
    let hi = NaiveDate::from_ymd_opt(*YEARS.end() + 1, 1, 1).unwrap_or_default().and_time(NaiveTime::MIN).and_utc();
    Utc.timestamp_millis_opt(ms).single().unwrap_or(if ms < 0 { lo } else { hi }).clamp(lo, hi)
}

/// Parses a start, end or exception time: a date for all-day events; else RFC 3339
/// (converted into `tz`) or a wall-clock `YYYY-MM-DDTHH:MM[:SS]` in `tz`. A
/// refusal is `err` of a message that names `what`.
fn parse_local(
    raw: &str,
    tz: Tz,
    all_day: bool,
    what: &str,
    err: fn(String) -> ScheduleError,
) -> Result<NaiveDateTime, ScheduleError> {
    let s = raw.trim();
    let t = if all_day {
        NaiveDate::parse_from_str(s, DATE_FMT)
            .map_err(|_| err(format!("{what} of an all-day event must be a date, YYYY-MM-DD (got `{s}`)")))?
            .and_time(NaiveTime::MIN)
    } else if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        dt.with_timezone(&tz).naive_local()
    } else {
        NaiveDateTime::parse_from_str(s, LOCAL_FMT)
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
            .map_err(|_| {
                err(format!(
                    "{what} must be RFC 3339 or a wall-clock time YYYY-MM-DDTHH:MM[:SS] in the time zone (got `{s}`)"
                ))
            })?
    };
    let t = t.with_nanosecond(0).unwrap_or(t);
    if !YEARS.contains(&t.year()) {
        return Err(err(format!("{what} must fall between the years {} and {}", YEARS.start(), YEARS.end())));
    }
    Ok(t)
}

/// Rewrites a rule into upper-case `KEY=VALUE;…` with UNTIL in UTC (a local or
/// date UNTIL is read in `tz`, a date meaning the end of that day), and keeps to
/// the frequencies a calendar offers.
fn normalize_rule(raw: &str, tz: Tz) -> Result<String, ScheduleError> {
    let bad = |m: String| ScheduleError::Rrule(m);
    let s = raw.trim();
    let s = if s.len() >= 6 && s[..6].eq_ignore_ascii_case("RRULE:") { &s[6..] } else { s };
    if s.is_empty() || s.len() > 500 || s.contains(['\n', '\r']) {
        return Err(bad("give one rule of at most 500 characters, e.g. FREQ=WEEKLY;BYDAY=MO".into()));
    }
    let mut parts = Vec::new();
    let mut freq = None;
    for part in s.split(';').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| bad(format!("`{part}` is not KEY=VALUE")))?;
        let k = k.trim().to_ascii_uppercase();
        let mut v = v.trim().to_ascii_uppercase();
        match k.as_str() {
            "FREQ" => freq = Some(v.clone()),
            "UNTIL" => v = until_utc(&v, tz).ok_or_else(|| bad(format!("UNTIL `{v}` is not a date or date-time")))?,
            "DTSTART" => return Err(bad("the rule takes its DTSTART from the event's start".into())),
            _ => {}
        }
        parts.push(format!("{k}={v}"));
    }
    match freq.as_deref() {
        Some("DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY") => Ok(parts.join(";")),
        Some(f) => Err(bad(format!("FREQ={f} is not supported; use DAILY, WEEKLY, MONTHLY or YEARLY"))),
        None => Err(bad("FREQ is required".into())),
    }
}

fn until_utc(v: &str, tz: Tz) -> Option<String> {
    let local = if let Some(utc) = v.strip_suffix('Z') {
        NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(v.to_owned());
    } else if v.len() == 8 {
        NaiveDate::parse_from_str(v, "%Y%m%d").ok()?.and_hms_opt(23, 59, 59)?
    } else {
        NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()?
    };
    Some(resolve(tz, local).with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string())
}

/// What a schedule is made of, as clients send it.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleSpec<'a> {
    /// IANA time zone name.
    pub time_zone: &'a str,
    /// Whole days (start and end are dates; the end is exclusive).
    pub all_day: bool,
    /// Start (see the module doc for the forms).
    pub start: &'a str,
    /// End; default one hour (or one day) after the start.
    pub end: Option<&'a str>,
    /// RRULE, without or with the `RRULE:` prefix.
    pub rrule: Option<&'a str>,
    /// Occurrences left out, as starts in the same forms as `start`.
    pub exdates: &'a [String],
}

/// One occurrence: UTC instants and wall-clock texts in the event's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// End, ms since the epoch.
    pub end_ms: i64,
    /// Wall-clock start (`YYYY-MM-DDTHH:MM:SS`, or a date for all-day events).
    pub start: String,
    /// Wall-clock end, likewise.
    pub end: String,
}

/// A validated schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    tz: Tz,
    all_day: bool,
    start: NaiveDateTime,
    end: NaiveDateTime,
    rule: Option<String>,
    exdates: Vec<NaiveDateTime>,
    set: Option<RRuleSet>,
}

impl Schedule {
    /// Validates `spec`.
    pub fn new(spec: &ScheduleSpec<'_>) -> Result<Schedule, ScheduleError> {
        let tz = parse_tz(spec.time_zone)?;
        let start = parse_local(spec.start, tz, spec.all_day, "start", ScheduleError::Time)?;
        let end = match spec.end {
            Some(e) => parse_local(e, tz, spec.all_day, "end", ScheduleError::Time)?,
            None if spec.all_day => start + TimeDelta::days(1),
            None => start + TimeDelta::hours(1),
        };
        if end <= start {
            return Err(ScheduleError::EndBeforeStart);
        }
        if spec.exdates.len() > MAX_EXDATES {
            return Err(ScheduleError::Exdate(format!("at most {MAX_EXDATES} exdates")));
        }
        let mut exdates = spec
            .exdates
            .iter()
            .map(|x| parse_local(x, tz, spec.all_day, "an exdate", ScheduleError::Exdate))
            .collect::<Result<Vec<_>, _>>()?;
        exdates.sort();
        exdates.dedup();
        let mut s = Schedule { tz, all_day: spec.all_day, start, end, rule: None, exdates, set: None };
        if let Some(raw) = spec.rrule.filter(|r| !r.trim().is_empty()) {
            let rule = normalize_rule(raw, tz)?;
            let parsed: RRule<Unvalidated> =
                rule.parse().map_err(|e: rrule::RRuleError| ScheduleError::Rrule(e.to_string()))?;
            let rtz = rrule::Tz::Tz(tz);
            let mut set = parsed
                .build(resolve(tz, start).with_timezone(&rtz))
                .map_err(|e| ScheduleError::Rrule(e.to_string()))?;
            for x in &s.exdates {
                set = set.exdate(resolve(tz, *x).with_timezone(&rtz));
            }
            s.rule = Some(rule);
            s.set = Some(set);
        } else if !s.exdates.is_empty() {
            return Err(ScheduleError::Exdate("exdates need an rrule".into()));
        }
        Ok(s)
    }

    /// The IANA name of the zone.
    pub fn time_zone(&self) -> &'static str {
        self.tz.name()
    }

    /// Whether the event takes whole days.
    pub fn all_day(&self) -> bool {
        self.all_day
    }

    fn text(&self, t: NaiveDateTime) -> String {
        if self.all_day { t.date().format(DATE_FMT).to_string() } else { t.format(LOCAL_FMT).to_string() }
    }

    /// The normalized rule, if the event recurs.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// Wall-clock start, as stored and shown.
    pub fn start_text(&self) -> String {
        self.text(self.start)
    }

    /// Wall-clock end, as stored and shown.
    pub fn end_text(&self) -> String {
        self.text(self.end)
    }

    /// The exception dates, as stored and shown.
    pub fn exdate_texts(&self) -> Vec<String> {
        self.exdates.iter().map(|x| self.text(*x)).collect()
    }

    /// The wall-clock starts of the exceptions.
    pub fn exdates(&self) -> &[NaiveDateTime] {
        &self.exdates
    }

    /// The first occurrence as written (DTSTART and its end).
    pub fn first(&self) -> Occurrence {
        self.occurrence_at(self.start)
    }

    /// The occurrence that starts at wall-clock `start`; it lasts as long on the clock as the first.
    fn occurrence_at(&self, start: NaiveDateTime) -> Occurrence {
        let end = start + (self.end - self.start);
        Occurrence {
            start_ms: ms(&resolve(self.tz, start)),
            end_ms: ms(&resolve(self.tz, end)),
            start: self.text(start),
            end: self.text(end),
        }
    }

    /// End of the last occurrence; `i64::MAX` for a series without end (or one
    /// too long to expand).
    pub fn series_end_ms(&self) -> i64 {
        let Some(set) = &self.set else {
            return self.first().end_ms;
        };
        let bounded = set.get_rrule().iter().all(|r| r.get_count().is_some() || r.get_until().is_some());
        if !bounded {
            return i64::MAX;
        }
        let all = set.clone().all(u16::MAX);
        if all.limited {
            return i64::MAX;
        }
        all.dates.last().map(|d| self.occurrence_at(d.naive_local()).end_ms).unwrap_or_else(|| self.first().end_ms)
    }

    /// Occurrences overlapping `[from_ms, to_ms)`, at most `limit`; the flag
    /// says whether some were left out.
    pub fn between(&self, from_ms: i64, to_ms: i64, limit: usize) -> (Vec<Occurrence>, bool) {
        let overlaps = |o: &Occurrence| o.start_ms < to_ms && o.end_ms > from_ms;
        let Some(set) = &self.set else {
            let first = self.first();
            return (if overlaps(&first) { vec![first] } else { Vec::new() }, false);
        };
        let rtz = rrule::Tz::Tz(self.tz);
        // An occurrence that began before `from` may still be under way: look back
        // its length, plus a day for clock changes.
        let after = instant(from_ms) - (self.end - self.start) - TimeDelta::days(1);
        let before = instant(to_ms);
        let want = u16::try_from(limit.saturating_add(64)).unwrap_or(u16::MAX);
        let found = set.clone().after(after.with_timezone(&rtz)).before(before.with_timezone(&rtz)).all(want);
        let mut out = Vec::new();
        let mut truncated = found.limited;
        for d in found.dates {
            let o = self.occurrence_at(d.naive_local());
            if overlaps(&o) {
                if out.len() == limit {
                    truncated = true;
                    break;
                }
                out.push(o);
            }
        }
        (out, truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(start: &'a str, end: Option<&'a str>, rrule: Option<&'a str>, ex: &'a [String]) -> ScheduleSpec<'a> {
        ScheduleSpec { time_zone: "Europe/Berlin", all_day: false, start, end, rrule, exdates: ex }
    }

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn utc(ms: i64) -> String {
        Utc.timestamp_millis_opt(ms).unwrap().format("%Y-%m-%dT%H:%MZ").to_string()
    }

    #[test]
    fn weekly_meeting_keeps_its_local_time_across_dst() {
        // Berlin moves to summer time on 2025-03-30.
        let s = Schedule::new(&spec("2025-03-17T09:00", Some("2025-03-17T09:30"), Some("FREQ=WEEKLY"), &[])).unwrap();
        let (occ, more) = s.between(at("2025-03-17T00:00:00Z"), at("2025-04-08T00:00:00Z"), 100);
        assert!(!more);
        let starts: Vec<&str> = occ.iter().map(|o| o.start.as_str()).collect();
        assert_eq!(
            starts,
            ["2025-03-17T09:00:00", "2025-03-24T09:00:00", "2025-03-31T09:00:00", "2025-04-07T09:00:00"]
        );
        let utcs: Vec<String> = occ.iter().map(|o| utc(o.start_ms)).collect();
        assert_eq!(utcs, ["2025-03-17T08:00Z", "2025-03-24T08:00Z", "2025-03-31T07:00Z", "2025-04-07T07:00Z"]);
        assert!(occ.iter().all(|o| o.end_ms - o.start_ms == 30 * 60_000));
        assert_eq!(s.series_end_ms(), i64::MAX);
    }

    #[test]
    fn exdates_leave_occurrences_out() {
        let ex = vec!["2025-03-24T09:00:00".to_owned()];
        let s = Schedule::new(&spec("2025-03-17T09:00", None, Some("RRULE:freq=weekly;count=3"), &ex)).unwrap();
        let (occ, _) = s.between(at("2025-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"), 100);
        let starts: Vec<&str> = occ.iter().map(|o| o.start.as_str()).collect();
        assert_eq!(starts, ["2025-03-17T09:00:00", "2025-03-31T09:00:00"]);
        assert_eq!(s.rule(), Some("FREQ=WEEKLY;COUNT=3"));
        assert_eq!(s.series_end_ms(), at("2025-03-31T08:00:00Z"), "ends an hour after the last start (summer time)");
    }

    #[test]
    fn an_occurrence_under_way_overlaps_the_range() {
        let s = Schedule::new(&spec("2025-01-06T23:00", Some("2025-01-07T01:00"), Some("FREQ=DAILY"), &[])).unwrap();
        let (occ, _) = s.between(at("2025-01-09T23:30:00Z"), at("2025-01-09T23:45:00Z"), 10);
        assert_eq!(occ.len(), 1);
        assert_eq!(occ[0].start, "2025-01-09T23:00:00");
        let (occ, more) = s.between(at("2025-01-06T00:00:00Z"), at("2025-02-06T00:00:00Z"), 5);
        assert_eq!((occ.len(), more), (5, true));
    }

    #[test]
    fn local_until_is_read_in_the_zone() {
        let s = Schedule::new(&spec("2025-03-17T09:00", None, Some("FREQ=DAILY;UNTIL=20250319"), &[])).unwrap();
        assert_eq!(s.rule(), Some("FREQ=DAILY;UNTIL=20250319T225959Z"));
        let (occ, _) = s.between(0, i64::MAX, 100);
        assert_eq!(occ.len(), 3);
    }

    #[test]
    fn all_day_events_take_dates() {
        let s = Schedule::new(&ScheduleSpec {
            time_zone: "UTC",
            all_day: true,
            start: "2025-12-24",
            end: None,
            rrule: Some("FREQ=YEARLY"),
            exdates: &[],
        })
        .unwrap();
        assert_eq!((s.start_text(), s.end_text()), ("2025-12-24".into(), "2025-12-25".into()));
        let (occ, _) = s.between(at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), 10);
        assert_eq!(occ[0].start, "2026-12-24");
        let bad = ScheduleSpec {
            time_zone: "UTC",
            all_day: true,
            start: "2025-12-24T10:00",
            end: None,
            rrule: None,
            exdates: &[],
        };
        assert_eq!(Schedule::new(&bad).unwrap_err().code(), "invalid_time");
    }

    #[test]
    fn rfc3339_input_becomes_wall_time() {
        let s = Schedule::new(&spec("2025-07-01T07:00:00Z", None, None, &[])).unwrap();
        assert_eq!(s.start_text(), "2025-07-01T09:00:00");
        assert_eq!(s.first().start_ms, at("2025-07-01T07:00:00Z"));
        assert_eq!(s.series_end_ms(), at("2025-07-01T08:00:00Z"));
    }

    #[test]
    fn bad_input_is_named() {
        let code = |r: Result<Schedule, ScheduleError>| r.unwrap_err().code();
        let mut bad_tz = spec("2025-03-17T09:00", None, None, &[]);
        bad_tz.time_zone = "Mars/Olympus";
        assert_eq!(code(Schedule::new(&bad_tz)), "invalid_timezone");
        assert_eq!(
            code(Schedule::new(&spec("2025-03-17T09:00", Some("2025-03-17T08:00"), None, &[]))),
            "end_before_start"
        );
        assert_eq!(code(Schedule::new(&spec("tomorrow", None, None, &[]))), "invalid_time");
        assert_eq!(
            code(Schedule::new(&spec("2025-03-17T09:00", None, Some("FREQ=FORTNIGHTLY"), &[]))),
            "invalid_rrule"
        );
        assert_eq!(code(Schedule::new(&spec("2025-03-17T09:00", None, Some("FREQ=HOURLY"), &[]))), "invalid_rrule");
        assert_eq!(code(Schedule::new(&spec("2025-03-17T09:00", None, Some("BYDAY=XX"), &[]))), "invalid_rrule");
        assert_eq!(
            code(Schedule::new(&spec("2025-03-17T09:00", None, Some("FREQ=WEEKLY;BYDAY=XX"), &[]))),
            "invalid_rrule"
        );
        assert_eq!(
            code(Schedule::new(&spec("2025-03-17T09:00", None, Some("FREQ=DAILY;UNTIL=20240101"), &[]))),
            "invalid_rrule"
        );
        let ex = vec!["nope".to_owned()];
        assert_eq!(code(Schedule::new(&spec("2025-03-17T09:00", None, Some("FREQ=DAILY"), &ex))), "invalid_exdate");
        assert_eq!(code(Schedule::new(&spec("3025-03-17T09:00", None, None, &[]))), "invalid_time");
    }

    #[test]
    fn wall_times_in_a_gap_move_forward() {
        let tz = parse_tz("Europe/Berlin").unwrap();
        let gap = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(resolve(tz, gap).naive_local().hour(), 3);
    }
}
