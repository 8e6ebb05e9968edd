//! Calendar: events with attendees and RSVP, who sees them (organizer,
//! attendees, conversation members — never a stranger or another app), weekly
//! occurrences across a DST change, EXDATE, free/busy, the `.ics` feed parsed
//! back, `.ics` import, and bad input refused without a trace.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Backend, TestServer, read};
use icalendar::{Component, DatePerhapsTime, EventLike};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(h: &TestServer, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = h.client.request(method, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

fn starts(occ: &Value, key: &str) -> Vec<String> {
    occ["occurrences"].as_array().expect("occurrences").iter().map(|o| o[key].as_str().expect(key).to_owned()).collect()
}

async fn event_count(h: &TestServer, token: &str) -> usize {
    let (s, b) = call(h, token, Method::GET, "/v1/calendar/events?limit=100", None).await;
    assert_eq!(s, 200, "{b}");
    b["events"].as_array().expect("events").len()
}

async fn scenario(backend: Backend) {
    let h = TestServer::start(backend).await;
    let app = h.create_app("Cal", &["127.0.0.1"], &[]).await;
    let [ann, bob, carol, dave] = [
        h.session(&app, json!({"user_id": "ann"})).await,
        h.session(&app, json!({"user_id": "bob"})).await,
        h.session(&app, json!({"user_id": "carol"})).await,
        h.session(&app, json!({"user_id": "dave"})).await,
    ];
    let other = h.create_app("Other", &["127.0.0.1"], &[]).await;
    let zed = h.session(&other, json!({"user_id": "ann"})).await;

    // Bad input: a clear 422 code, and nothing written.
    let ok = json!({"title": "x", "start": "2025-03-17T09:00"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (body, code) in [
        (with("rrule", json!("FREQ=SOMETIMES")), "invalid_rrule"),
        (with("rrule", json!("FREQ=WEEKLY;BYDAY=XX")), "invalid_rrule"),
        (with("time_zone", json!("Mars/Base")), "invalid_timezone"),
        (with("end", json!("2025-03-17T08:00")), "end_before_start"),
        (with("start", json!("soon")), "invalid_time"),
        (with("title", json!("t".repeat(201))), "invalid_title"),
        (with("description", json!("d".repeat(8001))), "invalid_description"),
        (with("reminders", json!([-5])), "invalid_reminders"),
        (with("attendees", json!(["nobody"])), "unknown_user"),
        (with("attendees", json!(["not valid"])), "invalid_user_id"),
        (with("exdates", json!(["2025-03-24T09:00"])), "invalid_exdate"),
        (with("colour", json!("red")), "invalid_body"),
    ] {
        let (s, b) = call(&h, &ann, Method::POST, "/v1/calendar/events", Some(body.clone())).await;
        assert_eq!((s, b["error"]["code"].as_str()), (422, Some(code)), "{body} -> {b}");
    }
    assert_eq!(event_count(&h, &ann).await, 0, "nothing was half-created");

    // A weekly stand-up in Berlin with Bob, a reminder, a call, and one week off.
    let (s, created) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/calendar/events",
        Some(json!({
            "title": "Stand-up", "time_zone": "Europe/Berlin",
            "start": "2025-03-17T09:00", "end": "2025-03-17T09:30",
            "rrule": "FREQ=WEEKLY;BYDAY=MO", "exdates": ["2025-04-07T09:00:00"],
            "reminders": [10], "attendees": ["bob"], "call": true, "location": "Room 1"
        })),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    let ev = &created["event"];
    let id = ev["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (ev["kind"].as_str(), ev["owner_id"].as_str(), ev["visibility"].as_str()),
        (Some("event"), Some("ann"), Some("private"))
    );
    assert_eq!(ev["payload"]["call_room_id"], format!("event:{id}"));
    assert_eq!(ev["payload"]["starts_at"], "2025-03-17T08:00:00Z");
    assert_eq!(ev["payload"]["attendees"], json!([{"user_id": "bob", "rsvp": "needs_action"}]));

    // RSVP: attendees answer; others cannot.
    let rsvp = format!("/v1/calendar/events/{id}/rsvp");
    let (s, b) = call(&h, &bob, Method::POST, &rsvp, Some(json!({"rsvp": "accepted"}))).await;
    assert_eq!((s, &b["event"]["payload"]["attendees"][0]["rsvp"]), (200, &json!("accepted")), "{b}");
    let (s, b) = call(&h, &bob, Method::POST, &rsvp, Some(json!({"rsvp": "maybe"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_rsvp")));
    let (s, _) = call(&h, &carol, Method::POST, &rsvp, Some(json!({"rsvp": "accepted"}))).await;
    assert_eq!(s, 404, "Carol is not invited and cannot see it");

    // Visibility: organizer and attendee; not a stranger, not another app.
    let path = format!("/v1/calendar/events/{id}");
    assert_eq!(call(&h, &bob, Method::GET, &path, None).await.0, 200);
    assert_eq!(call(&h, &carol, Method::GET, &path, None).await.0, 404);
    assert_eq!(call(&h, &zed, Method::GET, &path, None).await.0, 404, "same user id, other app");
    assert_eq!(call(&h, &zed, Method::DELETE, &path, None).await.0, 404);
    assert_eq!(event_count(&h, &zed).await, 0);
    let (s, b) = call(&h, &bob, Method::PATCH, &path, Some(json!({"title": "Mine now"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(call(&h, &bob, Method::DELETE, &path, None).await.0, 403);

    // Occurrences: 09:00 in Berlin every Monday; UTC moves an hour on 30 March; 7 April is off.
    let range = "from=2025-03-17T00:00:00Z&to=2025-04-15T00:00:00Z";
    let (s, occ) = call(&h, &bob, Method::GET, &format!("/v1/calendar/occurrences?{range}"), None).await;
    assert_eq!(s, 200, "{occ}");
    assert_eq!(
        starts(&occ, "start"),
        ["2025-03-17T09:00:00", "2025-03-24T09:00:00", "2025-03-31T09:00:00", "2025-04-14T09:00:00"]
    );
    assert_eq!(
        starts(&occ, "starts_at"),
        ["2025-03-17T08:00:00Z", "2025-03-24T08:00:00Z", "2025-03-31T07:00:00Z", "2025-04-14T07:00:00Z"]
    );
    assert_eq!(starts(&occ, "ends_at")[2], "2025-03-31T07:30:00Z");
    assert_eq!(occ["occurrences"][0]["call_room_id"], format!("event:{id}"));
    let (_, mine) = call(&h, &ann, Method::GET, &format!("/v1/calendar/occurrences?{range}&user=bob"), None).await;
    assert_eq!(starts(&mine, "start").len(), 4, "Ann sees Bob's calendar where she may");
    let (_, none) = call(&h, &carol, Method::GET, &format!("/v1/calendar/occurrences?{range}&user=ann"), None).await;
    assert_eq!(none["occurrences"], json!([]), "Carol sees nothing of Ann's private events");
    let (s, b) = call(&h, &ann, Method::GET, "/v1/calendar/occurrences?from=2025-04-01&to=2025-03-01", None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_range")));
    let (s, b) = call(&h, &ann, Method::GET, "/v1/calendar/occurrences?from=2025-01-01&to=2027-01-01", None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_range")));

    // An event in a conversation: its members see it; a non-member may not create one there.
    let (s, conv) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/conversations",
        Some(json!({"kind": "group", "members": ["bob", "carol"], "name": "Team"})),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    let conv = conv["conversation"]["id"].as_str().expect("id").to_owned();
    let lunch =
        json!({"title": "Lunch", "time_zone": "Europe/Berlin", "start": "2025-03-20T12:00", "conversation_id": conv});
    assert_eq!(call(&h, &dave, Method::POST, "/v1/calendar/events", Some(lunch.clone())).await.0, 404);
    let (s, b) = call(&h, &ann, Method::POST, "/v1/calendar/events", Some(lunch)).await;
    assert_eq!((s, b["event"]["visibility"].as_str()), (200, Some("conversation")), "{b}");
    let lunch_id = b["event"]["id"].as_str().expect("id").to_owned();
    assert_eq!(call(&h, &carol, Method::GET, &format!("/v1/calendar/events/{lunch_id}"), None).await.0, 200);
    assert_eq!(call(&h, &dave, Method::GET, &format!("/v1/calendar/events/{lunch_id}"), None).await.0, 404);
    let (_, b) = call(&h, &carol, Method::GET, &format!("/v1/calendar/events?conversation={conv}"), None).await;
    assert_eq!(b["events"][0]["id"], lunch_id.as_str());

    // Free/busy: times only; organizer and accepted attendees are busy, members are not.
    let fb = json!({"users": ["ann", "bob", "carol"], "from": "2025-03-17", "to": "2025-03-25"});
    let (s, b) = call(&h, &dave, Method::POST, "/v1/calendar/freebusy", Some(fb.clone())).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["users"]["ann"],
        json!([
            {"start": "2025-03-17T08:00:00Z", "end": "2025-03-17T08:30:00Z"},
            {"start": "2025-03-20T11:00:00Z", "end": "2025-03-20T12:00:00Z"},
            {"start": "2025-03-24T08:00:00Z", "end": "2025-03-24T08:30:00Z"},
        ])
    );
    assert_eq!(b["users"]["bob"].as_array().map(Vec::len), Some(2));
    assert_eq!(b["users"]["carol"], json!([]));
    assert!(b.to_string().find("Stand-up").is_none(), "free/busy reveals no titles");
    call(&h, &bob, Method::POST, &rsvp, Some(json!({"rsvp": "declined"}))).await;
    let (_, b) = call(&h, &dave, Method::POST, "/v1/calendar/freebusy", Some(fb)).await;
    assert_eq!(b["users"]["bob"], json!([]), "declined is free");
    call(&h, &bob, Method::POST, &rsvp, Some(json!({"rsvp": "accepted"}))).await;
    let (s, b) = call(
        &h,
        &ann,
        Method::POST,
        "/v1/calendar/freebusy",
        Some(json!({"users": [], "from": "2025-03-17", "to": "2025-03-18"})),
    )
    .await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_users")));

    // Changes: Carol joins; Bob keeps his answer. A refused change changes nothing.
    let (s, b) =
        call(&h, &ann, Method::PATCH, &path, Some(json!({"title": "Daily stand-up", "attendees": ["bob", "carol"]})))
            .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["event"]["payload"]["attendees"],
        json!([{"user_id": "bob", "rsvp": "accepted"}, {"user_id": "carol", "rsvp": "needs_action"}])
    );
    assert_eq!(call(&h, &carol, Method::GET, &path, None).await.0, 200);
    let (s, b) = call(&h, &ann, Method::PATCH, &path, Some(json!({"title": "Broken", "rrule": "FREQ=NEVER"}))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_rrule")));
    let (_, b) = call(&h, &ann, Method::GET, &path, None).await;
    assert_eq!(b["event"]["payload"]["title"], "Daily stand-up");

    // The feed: iCalendar that parses back, with zone, rule, exception, reminder and answers.
    let res = h.client.get(h.url(&format!("/v1/calendar/feed.ics?token={bob}"))).send().await.expect("feed");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap_or("").starts_with("text/calendar"));
    let text = res.text().await.expect("body");
    let cal: icalendar::Calendar = text.parse().expect("the feed parses");
    let standup = cal.events().find(|e| e.get_summary() == Some("Daily stand-up")).expect("stand-up in the feed");
    assert_eq!(standup.property_value("RRULE"), Some("FREQ=WEEKLY;BYDAY=MO"));
    match standup.get_start() {
        Some(DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone { date_time, tzid })) => {
            assert_eq!((date_time.to_string().as_str(), tzid.as_str()), ("2025-03-17 09:00:00", "Europe/Berlin"));
        }
        other => panic!("DTSTART is not zoned: {other:?}"),
    }
    assert_eq!(standup.get_location(), Some("Room 1"));
    assert_eq!(standup.property_value("X-CAAS-CALL-ROOM"), Some(format!("event:{id}").as_str()));
    let exdate = &standup.multi_properties()["EXDATE"][0];
    assert_eq!(exdate.value(), "20250407T090000");
    let attendees = standup.get_attendees();
    let bob_att = attendees.iter().find(|a| a.cal_address == "urn:caas:user:bob").expect("Bob attends");
    assert_eq!(bob_att.part_stat, Some(icalendar::PartStat::Accepted));
    assert!(text.contains("TRIGGER;RELATED=START:-PT600S"), "a VALARM ten minutes before:\n{text}");
    assert!(cal.events().any(|e| e.get_summary() == Some("Lunch")), "conversation events are in members' feeds");
    let res = h.client.get(h.url("/v1/calendar/feed.ics")).bearer_auth(&dave).send().await.expect("feed");
    let dave_cal: icalendar::Calendar = res.text().await.expect("body").parse().expect("parses");
    assert_eq!(dave_cal.events().count(), 0, "Dave sees nothing");
    assert_eq!(h.client.get(h.url("/v1/calendar/feed.ics")).send().await.expect("feed").status(), 401);
    let res = h.client.get(h.url(&format!("/v1/calendar/feed.ics?token={zed}"))).send().await.expect("feed");
    let zed_cal: icalendar::Calendar = res.text().await.expect("body").parse().expect("parses");
    assert_eq!(zed_cal.events().count(), 0, "another app's token sees nothing");

    // Import: the feed's own text round-trips; other inputs are refused whole.
    let import = |token: &str, ct: &str, body: String| {
        h.client.post(h.url("/v1/calendar/import")).bearer_auth(token).header("content-type", ct).body(body).send()
    };
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:nyc-1@example.com\r\n\
               SUMMARY:NYC sync\r\nDTSTART;TZID=America/New_York:20250303T100000\r\nDTEND;TZID=America/New_York:20250303T110000\r\n\
               RRULE:FREQ=WEEKLY;COUNT=3\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n\
               END:VEVENT\r\nBEGIN:VEVENT\r\nUID:day-1@example.com\r\nSUMMARY:Day off\r\nDTSTART;VALUE=DATE:20250314\r\n\
               END:VEVENT\r\nEND:VCALENDAR\r\n";
    let (s, b) = read(import(&carol, "text/calendar; charset=utf-8", ics.to_owned()).await.expect("import")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(b["events"][0]["payload"]["reminders"], json!([5]));
    assert_eq!(b["events"][0]["payload"]["ical_uid"], "nyc-1@example.com");
    assert_eq!(b["events"][1]["payload"]["all_day"], true);
    let (_, occ) = call(&h, &carol, Method::GET, "/v1/calendar/occurrences?from=2025-03-01&to=2025-03-20", None).await;
    let nyc: Vec<String> = occ["occurrences"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|o| o["title"] == "NYC sync")
        .map(|o| o["starts_at"].as_str().expect("at").to_owned())
        .collect();
    assert_eq!(
        nyc,
        ["2025-03-03T15:00:00Z", "2025-03-10T14:00:00Z", "2025-03-17T14:00:00Z"],
        "New York's DST on 9 March"
    );
    let before = event_count(&h, &carol).await;
    let (s, _) = read(import(&carol, "application/json", ics.to_owned()).await.expect("import")).await;
    assert_eq!(s, 415);
    let (s, b) = read(import(&carol, "text/calendar", "not a calendar".into()).await.expect("import")).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_ics")));
    let half_bad = ics.replace("RRULE:FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=WEEKLY;BYDAY=ZZ");
    let (s, b) = read(import(&carol, "text/calendar", half_bad).await.expect("import")).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_rrule")));
    let bad_zone = ics.replace("America/New_York", "Atlantis/Capital");
    let (s, b) = read(import(&carol, "text/calendar", bad_zone).await.expect("import")).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_timezone")));
    assert_eq!(event_count(&h, &carol).await, before, "refused imports leave nothing");
    let (s, b) = read(import(&ann, "text/calendar", text).await.expect("import")).await;
    assert_eq!(s, 200, "the feed imports back: {b}");

    // Delete: organizer only; then it is gone for everyone.
    assert_eq!(call(&h, &ann, Method::DELETE, &path, None).await.0, 200);
    assert_eq!(call(&h, &bob, Method::GET, &path, None).await.0, 404);
    assert_eq!(call(&h, &ann, Method::GET, "/v1/calendar/events/not-an-id", None).await.0, 404);
    h.stop().await;
}

on_both_backends!(scenario);
