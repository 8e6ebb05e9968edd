//! A console browser for the tests: keeps cookies, follows no redirects, sends `Origin`.

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;

use super::TestServer;

/// A browser: cookies and no automatic redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub cookies: HashMap<String, String>,
}

pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(h: &TestServer) -> Browser {
        let client = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
        Browser { client, base: h.url(""), cookies: HashMap::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn keep(&mut self, res: reqwest::Response) -> Reply {
        for v in res.headers().get_all(SET_COOKIE) {
            let v = v.to_str().expect("ascii");
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').expect("k=v");
            assert!(
                attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax") && attrs.contains("Path=/console"),
                "{v}"
            );
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status().as_u16();
        let location = res.headers().get(LOCATION).map(|l| l.to_str().expect("ascii").to_owned());
        Reply { status, location, body: res.text().await.expect("body") }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let res = self.client.get(format!("{}{path}", self.base)).header(COOKIE, self.cookie_header()).send().await;
        self.keep(res.expect("get")).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(ORIGIN, self.base.trim_end_matches('/'))
            .form(form)
            .send()
            .await;
        self.keep(res.expect("post")).await
    }
}

/// The first `name="csrf"` value of a page.
pub fn csrf(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().expect("value").to_owned()
}

/// The text of the element with this id.
pub fn by_id(page: &str, id: &str) -> String {
    let marker = format!(r#"id="{id}">"#);
    let at = page.find(&marker).unwrap_or_else(|| panic!("no #{id} in {page}")) + marker.len();
    page[at..].split('<').next().expect("text").to_owned()
}

/// Signs up a new account (password "correct horse battery") with its first team.
pub async fn sign_up(h: &TestServer, email: &str, team: &str) -> Browser {
    let mut b = Browser::new(h);
    let page = b.get("/console/signup").await;
    let token = csrf(&page.body);
    let r = b
        .post(
            "/console/signup",
            &[
                ("csrf", &token),
                ("next", "/console/apps"),
                ("email", email),
                ("name", "Dev"),
                ("password", "correct horse battery"),
                ("team", team),
            ],
        )
        .await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/console/apps")), "{}", r.body);
    b
}
