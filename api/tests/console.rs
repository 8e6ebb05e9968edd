//! The client console's security: sign-up and sign-in with session cookies, CSRF
//! tokens on every form (sign-in forms by double submit), cross-site posts
//! refused by `Origin`, a fresh session id at sign-in (a planted id is never
//! adopted), rate-limited sign-in, roles, invitations, and teams that never see
//! each other's apps.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::browser::{Browser, by_id, csrf, sign_up};
use common::{Backend, TestServer};
use reqwest::header::{COOKIE, ORIGIN};
use reqwest::redirect::Policy;

/// Creates an app in the browser's team; returns (app id, api key, api secret).
async fn create_app(b: &mut Browser, name: &str) -> (String, String, String) {
    let apps = b.get("/console/apps").await;
    let r = b.post("/console/apps", &[("csrf", &csrf(&apps.body)), ("name", name)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (by_id(&r.body, "app-id"), by_id(&r.body, "api-key"), by_id(&r.body, "api-secret"))
}

async fn run(backend: Backend) {
    let h = TestServer::start_with(backend, |c| c.console_login_per_min = 8.0).await;

    // Not signed in: pages lead to the sign-in page, keeping where one was going.
    let mut anon = Browser::new(&h);
    let r = anon.get("/console/apps").await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/console/login?next=/console/apps")));

    // Sign-up without the form's token (or with another) is refused and creates nothing.
    let page = anon.get("/console/signup").await;
    let form = |t: &'static str| {
        [
            ("csrf", t),
            ("email", "eve@example.com"),
            ("name", "Eve"),
            ("password", "correct horse battery"),
            ("team", "Evil"),
        ]
    };
    assert_eq!(anon.post("/console/signup", &form("forged")).await.status, 403);
    assert!(h.store().account_by_email("eve@example.com").await.unwrap().is_none());
    // A form posted from another site is refused by its Origin, even with the right token.
    let token = csrf(&page.body);
    let res = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .post(h.url("/console/signup"))
        .header(COOKIE, anon.cookie_header())
        .header(ORIGIN, "https://evil.example")
        .form(&[
            ("csrf", token.as_str()),
            ("email", "eve@example.com"),
            ("name", "Eve"),
            ("password", "correct horse battery"),
            ("team", "Evil"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(h.store().account_by_email("eve@example.com").await.unwrap().is_none());

    // Two teams, one app each.
    let mut ann = sign_up(&h, "Ann@Example.com", "Acme").await;
    let (acme_app, key, secret) = create_app(&mut ann, "Initech Messenger").await;
    let mut bob = sign_up(&h, "bob@example.com", "Globex").await;
    let (globex_app, ..) = create_app(&mut bob, "Globex Chat").await;
    // The email is taken whatever its case.
    let mut again = Browser::new(&h);
    let p = again.get("/console/signup").await;
    let r = again
        .post(
            "/console/signup",
            &[
                ("csrf", &csrf(&p.body)),
                ("email", "ann@example.com"),
                ("name", "A"),
                ("password", "another long password"),
                ("team", "X"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("log in instead"));

    // The shown secret works on the admin API; the console's app is on the sign-up plan.
    let res = h
        .client
        .post(h.url("/v1/admin/sessions"))
        .basic_auth(&key, Some(&secret))
        .json(&serde_json::json!({"user_id": "u1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let billing: serde_json::Value = h
        .client
        .get(h.url("/v1/admin/billing"))
        .basic_auth(&key, Some(&secret))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(billing["plan"]["id"], "free");

    // The owner may move the app to a plan offered to clients, never to the operator's
    // unmetered plan (no price, no quotas), which the page does not offer either.
    let page = ann.get(&format!("/console/apps/{acme_app}")).await.body;
    assert!(page.contains("value=\"pro\"") && !page.contains("value=\"unmetered\""), "plans offered");
    let ann_csrf = csrf(&page);
    let r = ann.post(&format!("/console/apps/{acme_app}/plan"), &[("csrf", &ann_csrf), ("plan", "unmetered")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let plan_of = || async {
        let res = h.client.get(h.url("/v1/admin/billing")).basic_auth(&key, Some(&secret)).send().await.unwrap();
        res.json::<serde_json::Value>().await.unwrap()["plan"]["id"].as_str().unwrap().to_owned()
    };
    assert_eq!(plan_of().await, "free", "the refused change changed nothing");
    let r = ann.post(&format!("/console/apps/{acme_app}/plan"), &[("csrf", &ann_csrf), ("plan", "pro")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(plan_of().await, "pro");

    // Team isolation: bob's team cannot see or change ann's app, by any page.
    let apps = bob.get("/console/apps").await.body;
    assert!(apps.contains("Globex Chat") && !apps.contains("Initech Messenger") && !apps.contains(&acme_app));
    for path in ["", "/usage", "/billing", "/invoices/2026-01"] {
        assert_eq!(bob.get(&format!("/console/apps/{acme_app}{path}")).await.status, 404, "{path}");
    }
    let bob_csrf = csrf(&bob.get("/console/apps").await.body);
    for (path, field) in [("rotate-secret", "x"), ("ips", "ips"), ("origins", "origins"), ("plan", "plan")] {
        let r =
            bob.post(&format!("/console/apps/{acme_app}/{path}"), &[("csrf", &bob_csrf), (field, "10.0.0.0/8")]).await;
        assert_eq!(r.status, 404, "{path}");
    }
    let stored = h.store().app_by_id(acme_app.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.allowed_ips, vec!["127.0.0.1/32", "::1/128"], "unchanged");
    assert_eq!(ann.get(&format!("/console/apps/{globex_app}")).await.status, 404);

    // CSRF on a signed-in form: another session's token is refused and nothing changes.
    let r = ann.post(&format!("/console/apps/{acme_app}/ips"), &[("csrf", &bob_csrf), ("ips", "10.0.0.0/8")]).await;
    assert_eq!(r.status, 403);
    let ann_csrf = csrf(&ann.get("/console/apps").await.body);
    let r = ann.post(&format!("/console/apps/{acme_app}/ips"), &[("csrf", &ann_csrf), ("ips", "not an ip")]).await;
    assert_eq!(r.status, 422, "bad input: a clear error");
    assert!(r.body.contains("flash error"));
    let r = ann
        .post(&format!("/console/apps/{acme_app}/ips"), &[("csrf", &ann_csrf), ("ips", "127.0.0.1\n10.1.0.0/16")])
        .await;
    assert_eq!(r.status, 303);
    let stored = h.store().app_by_id(acme_app.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.allowed_ips, vec!["127.0.0.1/32", "10.1.0.0/16"]);

    // Session fixation: an id planted before sign-in is never adopted; sign-in issues a new one.
    let mut victim = Browser::new(&h);
    victim.cookies.insert("caas_console".into(), "planted-by-attacker".into());
    let p = victim.get("/console/login").await;
    assert_eq!(victim.get("/console/apps").await.status, 303, "a planted id is no session");
    let r = victim
        .post(
            "/console/login",
            &[
                ("csrf", &csrf(&p.body)),
                ("next", "/console/apps"),
                ("email", "ann@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let fresh = victim.cookies["caas_console"].clone();
    assert_ne!(fresh, "planted-by-attacker");
    assert_eq!(fresh.len(), 43, "32 random bytes");
    let mut attacker = Browser::new(&h);
    attacker.cookies.insert("caas_console".into(), "planted-by-attacker".into());
    assert_eq!(attacker.get("/console/apps").await.status, 303);
    // Signing in again from a signed-in browser replaces its session: the old id stops working.
    let old = fresh.clone();
    let p = victim.get("/console/login").await;
    victim
        .post(
            "/console/login",
            &[
                ("csrf", &csrf(&p.body)),
                ("next", "/console/apps"),
                ("email", "ann@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_ne!(victim.cookies["caas_console"], old);
    let mut stale = Browser::new(&h);
    stale.cookies.insert("caas_console".into(), old);
    assert_eq!(stale.get("/console/apps").await.status, 303);

    // Wrong passwords: one answer for unknown and wrong; then the IP is rate limited.
    let mut guess = Browser::new(&h);
    let mut statuses = Vec::new();
    for email in ["ann@example.com", "nobody@example.com", "ann@example.com", "ann@example.com"] {
        let p = guess.get("/console/login").await;
        let r = guess
            .post("/console/login", &[("csrf", &csrf(&p.body)), ("email", email), ("password", "wrong password!")])
            .await;
        if r.status == 401 {
            assert!(r.body.contains("Wrong email or password."));
        }
        statuses.push(r.status);
    }
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let mut limited = false;
    for _ in 0..10 {
        let p = guess.get("/console/login").await;
        let r = guess
            .post(
                "/console/login",
                &[("csrf", &csrf(&p.body)), ("email", "ann@example.com"), ("password", "wrong password!")],
            )
            .await;
        if r.status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "sign-in attempts are rate limited");

    // Invitations and roles: carol joins Acme as a viewer; a viewer reads but cannot change.
    let team = ann.get("/console/team").await;
    let r = ann.post("/console/team/invites", &[("csrf", &csrf(&team.body)), ("role", "viewer")]).await;
    let link = by_id(&r.body, "invite-link");
    let path = &link[link.find("/console/invite/").expect("path")..];
    let mut carol = Browser::new(&h);
    assert_eq!(carol.get(path).await.location.as_deref().map(|l| l.starts_with("/console/signup?next=")), Some(true));
    let mut carol = sign_up(&h, "carol@example.com", "Carol Co").await;
    let page = carol.get(path).await;
    assert!(page.body.contains("Join Acme"), "the link names the team");
    let r = carol.post(path, &[("csrf", &csrf(&page.body))]).await;
    assert_eq!(r.location.as_deref(), Some("/console/team?done=joined"));
    assert_eq!(carol.post(path, &[("csrf", &csrf(&page.body))]).await.status, 410, "a link works once");
    assert_eq!(carol.get(path).await.status, 410, "a used link says so");
    let apps = carol.get("/console/apps").await.body;
    assert!(apps.contains("Initech Messenger") && !apps.contains("Create app"), "viewer: reads, no create form");
    let carol_csrf = csrf(&apps);
    assert_eq!(carol.post("/console/apps", &[("csrf", &carol_csrf), ("name", "Sneaky")]).await.status, 403);
    assert_eq!(
        carol.post(&format!("/console/apps/{acme_app}/rotate-secret"), &[("csrf", &carol_csrf)]).await.status,
        403
    );
    assert!(
        !carol.get(&format!("/console/apps/{acme_app}")).await.body.contains(&secret),
        "the secret is never shown again"
    );
    // The last owner cannot leave the team without an owner.
    let members = h
        .store()
        .team_members(
            h.store().teams_of(h.store().account_by_email("ann@example.com").await.unwrap().unwrap().id).await.unwrap()
                [0]
            .team_id,
        )
        .await
        .unwrap();
    let ann_id = members.iter().find(|m| m.email == "ann@example.com").unwrap().account_id;
    let ann_csrf = csrf(&ann.get("/console/team").await.body);
    let r = ann.post(&format!("/console/team/members/{ann_id}/role"), &[("csrf", &ann_csrf), ("role", "viewer")]).await;
    assert_eq!(r.status, 422);

    // The audit log tells who did what, and only to the team.
    let audit = ann.get("/console/audit").await.body;
    for action in ["team.created", "app.created", "app.ips_changed", "team.invite_created", "team.member_joined"] {
        assert!(audit.contains(&format!(r#"data-action="{action}""#)), "{action}");
    }
    assert!(audit.contains("account:ann@example.com"));
    assert!(!bob.get("/console/audit").await.body.contains("Acme"), "another team's log is not shown");

    // Logging out ends the session.
    let r = ann.post("/console/logout", &[("csrf", &ann_csrf)]).await;
    assert_eq!(r.location.as_deref(), Some("/console/login"));
    assert_eq!(ann.get("/console/apps").await.status, 303);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_security_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_security_postgres() {
    run(Backend::Postgres).await;
}
