//! Console pages of the team: members and roles, invitation links, switching
//! teams, and the audit log with summaries of session creation.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use caas_console::Section;
use caas_console::pages::{AuditRow, MemberRow, SessionSummary};
use caas_storage::{AccountId, NewAudit, TeamId, TeamRole};
use serde::Deserialize;
use serde_json::json;

use super::auth::CsrfForm;
use super::{
    Console, DoneQuery, Failure, Page, day_of, flash_of, page_response, random_token, session_of, sha256, urlencode,
};
use crate::console::ConsoleState;

/// How long an invitation link works.
const INVITE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

async fn members(state: &ConsoleState, c: &Console) -> Result<Vec<MemberRow>, Failure> {
    Ok(state
        .store
        .team_members(c.team_id())
        .await?
        .into_iter()
        .map(|m| MemberRow {
            is_me: m.account_id == c.session.account.id,
            account_id: m.account_id.to_string(),
            email: m.email,
            name: m.name,
            role: m.role.to_string(),
            joined: day_of(m.joined_at),
        })
        .collect())
}

/// `GET /console/team`.
pub async fn page(State(state): State<ConsoleState>, c: Console, Query(q): Query<DoneQuery>) -> Page {
    let rows = members(&state, &c).await?;
    let body = caas_console::pages::team(&rows, &c.session.csrf, c.role() >= TeamRole::Owner, None);
    Ok(c.page("Team", Section::Team, flash_of(q.done.as_deref()), body))
}

/// The switch-team form.
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    csrf: String,
    team_id: String,
}

/// `POST /console/team/switch`.
pub async fn switch(State(state): State<ConsoleState>, c: Console, Form(f): Form<SwitchForm>) -> Page {
    c.check_csrf(&f.csrf)?;
    let team: TeamId = f.team_id.parse().map_err(|_| Failure::not_found())?;
    if !c.teams.iter().any(|t| t.team_id == team) {
        return Err(Failure::not_found());
    }
    state.store.set_session_team(&c.id_hash, team).await?;
    Ok(Redirect::to("/console/apps").into_response())
}

/// The invitation form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    csrf: String,
    role: String,
}

/// `POST /console/team/invites` (owners): shows the link once.
pub async fn invite(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    c: Console,
    Form(f): Form<InviteForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    c.require(TeamRole::Owner, "inviting people")?;
    let role: TeamRole = f.role.parse()?;
    let token = random_token();
    let actor = c.actor();
    let audit = NewAudit {
        team_id: Some(c.team_id()),
        app_id: None,
        actor: &actor,
        action: "team.invite_created",
        detail: json!({"role": role}),
    };
    let expires = caas_storage::now_ms() + INVITE_TTL_MS;
    state.store.create_invite(c.team_id(), role, &sha256(&token), expires, audit).await?;
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.secure_cookies { "https" } else { "http" };
    let link = format!("{scheme}://{host}/console/invite/{token}");
    let rows = members(&state, &c).await?;
    let body = caas_console::pages::team(&rows, &c.session.csrf, true, Some(&link));
    Ok(c.page("Team", Section::Team, None, body))
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    csrf: String,
    role: String,
}

async fn change(state: &ConsoleState, c: &Console, account: &str, role: Option<TeamRole>) -> Page {
    c.require(TeamRole::Owner, "changing the team")?;
    let member: AccountId = account.parse().map_err(|_| Failure::not_found())?;
    let email = state
        .store
        .team_members(c.team_id())
        .await?
        .into_iter()
        .find(|m| m.account_id == member)
        .map(|m| m.email)
        .ok_or_else(Failure::not_found)?;
    let actor = c.actor();
    let audit = NewAudit {
        team_id: Some(c.team_id()),
        app_id: None,
        actor: &actor,
        action: if role.is_some() { "team.role_changed" } else { "team.member_removed" },
        detail: json!({"email": email, "role": role}),
    };
    match state.store.change_member(c.team_id(), member, role, audit).await {
        Ok(()) => {}
        Err(caas_storage::StoreError::Invalid { message, .. }) => {
            return Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, message));
        }
        Err(e) => return Err(e.into()),
    }
    let done = if role.is_some() { "role" } else { "removed" };
    Ok(Redirect::to(&format!("/console/team?done={done}")).into_response())
}

/// `POST /console/team/members/{account}/role`.
pub async fn set_role(
    State(state): State<ConsoleState>,
    c: Console,
    Path(account): Path<String>,
    Form(f): Form<RoleForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    let role: TeamRole = f.role.parse()?;
    change(&state, &c, &account, Some(role)).await
}

/// `POST /console/team/members/{account}/remove`.
pub async fn remove(
    State(state): State<ConsoleState>,
    c: Console,
    Path(account): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    change(&state, &c, &account, None).await
}

/// `GET /console/invite/{token}`: sign in (or up) first, then a button to join.
pub async fn invite_page(State(state): State<ConsoleState>, headers: HeaderMap, Path(token): Path<String>) -> Page {
    let here = format!("/console/invite/{token}");
    let Some((session, _)) = session_of(&state, &headers).await else {
        return Ok(Redirect::to(&format!("/console/signup?next={}", urlencode(&here))).into_response());
    };
    let Some((_, team_name)) = state.store.invite_team(&sha256(&token)).await? else {
        return Err(Failure::new(StatusCode::GONE, "This invitation link was used already or has expired."));
    };
    let frame = caas_console::Frame { title: "Invitation".into(), user: None, flash: None };
    let body = caas_console::pages::invite(&team_name, &token, &session.csrf);
    Ok(page_response(StatusCode::OK, caas_console::document(&frame, body)))
}

/// `POST /console/invite/{token}`.
pub async fn accept(
    State(state): State<ConsoleState>,
    c: Console,
    Path(token): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    c.check_csrf(&f.csrf)?;
    match state.store.accept_invite(&sha256(&token), &c.session.account).await? {
        Some((team, _)) => {
            state.store.set_session_team(&c.id_hash, team).await?;
            Ok(Redirect::to("/console/team?done=joined").into_response())
        }
        None => Err(Failure::new(StatusCode::GONE, "This invitation link was used already or has expired.")),
    }
}

/// `?before=` of the audit log.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
}

/// `GET /console/audit`.
pub async fn audit(State(state): State<ConsoleState>, c: Console, Query(q): Query<AuditQuery>) -> Page {
    const PAGE: i64 = 100;
    let entries = state.store.team_audit_log(c.team_id(), q.before.as_deref(), PAGE).await?;
    let apps = state.store.team_apps(c.team_id()).await?;
    let name_of = |id: &str| apps.iter().find(|a| a.id.to_string() == id).map(|a| a.name.clone());
    let rows: Vec<AuditRow> = entries
        .iter()
        .map(|e| AuditRow {
            at: crate::http::wire::rfc3339_ms(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            app: e.app_id.as_deref().map(|id| name_of(id).unwrap_or_else(|| id.to_owned())),
            detail: e.detail.to_string(),
        })
        .collect();
    let older = (entries.len() as i64 == PAGE).then(|| entries.last().map(|e| e.id.clone())).flatten();
    let today = time::OffsetDateTime::now_utc().date();
    let from = (today - time::Duration::days(13)).to_string();
    let mut sessions = Vec::new();
    for a in &apps {
        let mut days: Vec<(String, i64)> = state
            .store
            .app(a.id)
            .usage_days(&from, &today.to_string())
            .await?
            .into_iter()
            .filter(|d| d.sessions > 0)
            .map(|d| (d.day, d.sessions))
            .collect();
        days.reverse();
        sessions.push(SessionSummary { app: a.name.clone(), days });
    }
    Ok(c.page("Audit log", Section::Audit, None, caas_console::pages::audit(&rows, &sessions, older.as_deref())))
}
