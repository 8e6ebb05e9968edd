//! Web origins an app allows end-user requests from, and CORS.
//!
//! Browsers send `Origin` on cross-site requests. A request whose origin is not in
//! its app's list is refused with 403 `origin_not_allowed` (checked once the token
//! names the app). A preflight carries no token, so it is answered for any origin
//! that some app allows; the real request is then checked against its own app.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Gate;
use crate::http::error::ApiError;

/// An entry of an app's origin allowlist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OriginPattern {
    /// `*`: any origin.
    Any,
    /// One origin, e.g. `https://app.example.com`.
    Exact(String),
    /// `https://*.example.com`: any subdomain (not the bare domain), same scheme and port.
    Subdomains {
        /// `http` or `https`.
        scheme: String,
        /// What follows `*`, e.g. `.example.com:8443`.
        suffix: String,
    },
}

/// An allowlist entry that is not an origin pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an origin like https://app.example.com, https://*.example.com or *")]
pub struct BadOrigin(pub String);

impl OriginPattern {
    /// Parses an allowlist entry, normalising case and default ports.
    pub fn parse(s: &str) -> Result<Self, BadOrigin> {
        let s = s.trim();
        if s == "*" {
            return Ok(OriginPattern::Any);
        }
        let bad = || BadOrigin(s.to_owned());
        let (scheme, rest) = s.split_once("://").ok_or_else(bad)?;
        if let Some(host) = rest.strip_prefix("*.") {
            let norm = normalize(scheme, host).ok_or_else(bad)?;
            let (scheme, hostport) = norm.split_once("://").ok_or_else(bad)?;
            return Ok(OriginPattern::Subdomains { scheme: scheme.to_owned(), suffix: format!(".{hostport}") });
        }
        normalize(scheme, rest).map(OriginPattern::Exact).ok_or_else(bad)
    }

    /// Whether an `Origin` header value matches this entry.
    pub fn matches(&self, origin: &str) -> bool {
        match self {
            OriginPattern::Any => true,
            OriginPattern::Exact(o) => o == origin,
            OriginPattern::Subdomains { scheme, suffix } => origin
                .strip_prefix(scheme.as_str())
                .and_then(|r| r.strip_prefix("://"))
                .and_then(|host| host.strip_suffix(suffix.as_str()))
                .is_some_and(|sub| !sub.is_empty() && !sub.contains(['/', ':'])),
        }
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginPattern::Any => f.write_str("*"),
            OriginPattern::Exact(o) => f.write_str(o),
            OriginPattern::Subdomains { scheme, suffix } => write!(f, "{scheme}://*{suffix}"),
        }
    }
}

/// `scheme://host[:port]` in lower case without a default port, or `None` if it is not an origin.
fn normalize(scheme: &str, hostport: &str) -> Option<String> {
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let hostport = hostport.strip_suffix('/').unwrap_or(hostport).to_ascii_lowercase();
    if hostport.is_empty() || hostport.contains(['/', '?', '#', '@', ' ', '*']) {
        return None;
    }
    let (host, port) = match hostport.rsplit_once(':') {
        // A bracketed IPv6 literal without a port contains ':' but ends with ']'.
        Some((h, p)) if !p.ends_with(']') => (h.to_owned(), Some(p.parse::<u16>().ok()?)),
        _ => (hostport.clone(), None),
    };
    if host.is_empty() {
        return None;
    }
    let default = if scheme == "https" { 443 } else { 80 };
    Some(match port {
        Some(p) if p != default => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Parses a whole allowlist, naming the first bad entry.
pub fn parse_origins<S: AsRef<str>>(items: &[S]) -> Result<Vec<OriginPattern>, BadOrigin> {
    items.iter().map(|s| OriginPattern::parse(s.as_ref())).collect()
}

/// Whether `origin` is allowed by `list`.
pub fn origin_allowed(list: &[OriginPattern], origin: &str) -> bool {
    list.iter().any(|p| p.matches(origin))
}

/// The request's `Origin` header, if any (a non-UTF-8 one counts as the opaque origin).
pub fn request_origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null"))
}

/// Refuses `origin` unless the app allows it.
pub fn check_origin(list: &[OriginPattern], origin: Option<&str>) -> Result<(), ApiError> {
    match origin {
        Some(o) if !origin_allowed(list, o) => Err(origin_refused(o)),
        _ => Ok(()),
    }
}

fn origin_refused(origin: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        format!("origin `{origin}` is not among this app's allowed origins"),
    )
}

/// Middleware: answers CORS preflights and adds CORS headers to responses for
/// origins that some app allows. Per-app enforcement happens in authentication.
pub async fn cors(State(state): State<Gate>, req: Request, next: Next) -> Response {
    let Some(origin) = request_origin(req.headers()).map(str::to_owned) else {
        return next.run(req).await;
    };
    // The admin API and the console are never called cross-origin by a browser.
    let path = req.uri().path();
    let known =
        !path.starts_with("/v1/admin/") && !path.starts_with("/console") && state.directory.origin_known(&origin);
    let preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if !known {
            return origin_refused(&origin).into_response();
        }
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        allow_origin(h, &origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, x-request-id"),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        return res;
    }
    let mut res = next.run(req).await;
    if known {
        let h = res.headers_mut();
        allow_origin(h, &origin);
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("retry-after, x-request-id"));
    }
    res
}

fn allow_origin(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.append(header::VARY, HeaderValue::from_static("origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_origins_are_normalised() {
        let p = OriginPattern::parse("HTTPS://App.Example.com:443/").unwrap();
        assert_eq!(p, OriginPattern::Exact("https://app.example.com".into()));
        assert!(p.matches("https://app.example.com"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com.evil.io"));
        let p = OriginPattern::parse("http://localhost:5173").unwrap();
        assert!(p.matches("http://localhost:5173"));
        assert!(!p.matches("http://localhost:5174"));
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let p = OriginPattern::parse("https://*.example.com").unwrap();
        assert!(p.matches("https://a.example.com"));
        assert!(p.matches("https://a.b.example.com"));
        assert!(!p.matches("https://example.com"));
        assert!(!p.matches("https://a.example.com:8443"));
        assert!(!p.matches("http://a.example.com"));
        assert!(!p.matches("https://evilexample.com"));
        assert!(OriginPattern::parse("*").unwrap().matches("null"));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in
            ["example.com", "ftp://x.com", "https://", "https://a.com/path", "https://a.com:99999", "https://u@a.com"]
        {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn check_refuses_unknown_origins_only_when_present() {
        let list = parse_origins(&["https://app.example.com"]).unwrap();
        assert!(check_origin(&list, None).is_ok());
        assert!(check_origin(&list, Some("https://app.example.com")).is_ok());
        let err = check_origin(&list, Some("https://evil.example")).unwrap_err();
        assert_eq!(err.code, "origin_not_allowed");
        assert_eq!(err.status, StatusCode::FORBIDDEN);
    }
}
