//! Shared harness of the integration tests: a real `caas` server on an ephemeral
//! port, backed by a fresh SQLite file or a fresh PostgreSQL schema.

// Tests and benches fail loudly: unwrap, expect and panic are their asserts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

pub mod browser;
pub mod smtp;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use caas_api::Server;
use caas_api::apps as ops;
use caas_api::config::ServeArgs;
use caas_api::state::AppState;
use caas_storage::{AppId, Store};

pub mod rtc;
pub mod ydoc;
use serde_json::Value;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite` and `postgres` tests that run `scenario` on each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($scenario:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sqlite() {
            $scenario(common::Backend::Sqlite).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            $scenario(common::Backend::Postgres).await
        }
    };
}

/// PostgreSQL server of the tests (trust auth, database `test`).
pub fn pg_base_url() -> String {
    std::env::var("CAAS_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database of its own for one test: a temp SQLite file or a new PostgreSQL schema.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    schema: Option<String>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("caas.db").display());
                TestDb { url, dir, schema: None }
            }
            Backend::Postgres => {
                let schema = format!(
                    "caas_t_{}_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed),
                    caas_storage::now_ms() % 1_000_000
                );
                let pool = sqlx::PgPool::connect(&pg_base_url())
                    .await
                    .expect("PostgreSQL at 127.0.0.1:5432 (database `test`) must be running for the tests");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&pool)
                    .await
                    .expect("create schema");
                pool.close().await;
                let url = format!("{}?options[search_path]={schema}", pg_base_url());
                TestDb { url, dir, schema: Some(schema) }
            }
        }
    }

    /// Drops the PostgreSQL schema (SQLite files go with the temp dir).
    pub async fn drop_schema(&self) {
        if let Some(schema) = &self.schema
            && let Ok(pool) = sqlx::PgPool::connect(&pg_base_url()).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&pool).await;
            pool.close().await;
        }
    }
}

/// A running server and a client for it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// An app created for a test, with its secret.
#[derive(Debug, Clone)]
pub struct TestApp {
    pub id: AppId,
    pub api_key: String,
    pub api_secret: String,
}

/// Server settings of the tests: ephemeral port, generous limits.
pub fn test_config(db: &TestDb) -> ServeArgs {
    let mut c = ServeArgs::defaults();
    c.http_addr = "127.0.0.1:0".parse().expect("addr");
    c.rtc_udp_addr = "127.0.0.1:0".parse().expect("addr");
    c.rtc_workers = Some(2);
    c.db.data_dir = db.dir.path().to_path_buf();
    c.db.database_url = Some(db.url.clone());
    c.rate_limit_app = 0.0;
    c.rate_limit_user = 0.0;
    c.trusted_proxies = Vec::new();
    c
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut ServeArgs)) -> TestServer {
        let db = TestDb::new(backend).await;
        Self::start_on(db, tweak).await
    }

    /// Starts a server on an existing test database.
    pub async fn start_on(db: TestDb, tweak: impl FnOnce(&mut ServeArgs)) -> TestServer {
        let mut config = test_config(&db);
        tweak(&mut config);
        let server = Server::bind(&config).await.expect("server starts");
        let addr = server.local_addr().expect("local addr");
        let state = server.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            base: format!("http://{addr}"),
            state,
            client: reqwest::Client::new(),
            db,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client whose connections come from `ip` (any address of 127.0.0.0/8 works on Linux).
    pub fn client_from(&self, ip: &str) -> reqwest::Client {
        let ip: IpAddr = ip.parse().expect("ip");
        reqwest::Client::builder().local_address(ip).build().expect("client")
    }

    /// Creates an app directly through the shared operations (as the CLI does).
    pub async fn create_app(&self, name: &str, ips: &[&str], origins: &[&str]) -> TestApp {
        let ips: Vec<String> = ips.iter().map(|s| s.to_string()).collect();
        let origins: Vec<String> = origins.iter().map(|s| s.to_string()).collect();
        let created = ops::create_app(self.store(), name, &ips, &origins).await.expect("create app");
        self.state.directory.reload(self.store()).await.expect("reload directory");
        TestApp { id: created.app.id, api_key: created.app.api_key, api_secret: created.api_secret }
    }

    /// A request to the admin API with `app`'s credentials.
    pub fn admin(&self, app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).basic_auth(&app.api_key, Some(&app.api_secret))
    }

    /// `POST /v1/admin/sessions` as `app`; returns the token.
    pub async fn session(&self, app: &TestApp, body: Value) -> String {
        let res = self
            .client
            .post(self.url("/v1/admin/sessions"))
            .basic_auth(&app.api_key, Some(&app.api_secret))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let json: Value = res.json().await.expect("json");
        assert_eq!(status, 200, "session creation failed: {json}");
        json["token"].as_str().expect("token").to_owned()
    }

    /// `GET /v1/me` with `token`; returns status and body.
    pub async fn me(&self, token: &str) -> (u16, Value) {
        let res = self.client.get(self.url("/v1/me")).bearer_auth(token).send().await.expect("request");
        read(res).await
    }

    /// Stops the server and drops its PostgreSQL schema.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
        self.db.drop_schema().await;
    }

    /// Stops the server and hands back its database, for a restart with [`TestServer::start_on`].
    pub async fn stop_keep_db(mut self) -> TestDb {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
        self.db
    }
}

/// Status and JSON body of a response (`Null` when the body is empty).
pub async fn read(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, json)
}

/// Asserts the contract's error shape and code.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "unexpected status, body: {body}");
    assert_eq!(body["error"]["code"], want_code, "unexpected code, body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error without a message: {body}");
}

/// A WebSocket client of `/v1/ws` that keeps pushes apart from replies.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u64,
    /// Pushes received while waiting for a reply.
    pub events: std::collections::VecDeque<Value>,
}

/// How long a test waits for a frame before failing (a bound, not a pause).
pub const WS_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl WsClient {
    /// Connects with `token` (and `cursor`); fails the test if the upgrade is refused.
    pub async fn connect(h: &TestServer, token: &str, cursor: Option<&str>) -> WsClient {
        Self::try_connect(h, token, cursor, None).await.expect("websocket upgrade")
    }

    /// Connects, returning the HTTP status and body of a refused upgrade.
    pub async fn try_connect(
        h: &TestServer,
        token: &str,
        cursor: Option<&str>,
        origin: Option<&str>,
    ) -> Result<WsClient, (u16, Value)> {
        Self::try_connect_addr(h.addr, token, cursor, origin).await
    }

    /// Connects to a server at `addr` (e.g. a `caas serve` process).
    pub async fn try_connect_addr(
        addr: SocketAddr,
        token: &str,
        cursor: Option<&str>,
        origin: Option<&str>,
    ) -> Result<WsClient, (u16, Value)> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut url = format!("ws://{addr}/v1/ws?token={token}");
        if let Some(c) = cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let mut req = url.into_client_request().expect("request");
        if let Some(o) = origin {
            req.headers_mut().insert("origin", o.parse().expect("origin"));
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((stream, _)) => Ok(WsClient { stream, next_id: 1, events: Default::default() }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                let status = res.status().as_u16();
                let body = res
                    .body()
                    .as_ref()
                    .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
                    .unwrap_or(Value::Null);
                Err((status, body))
            }
            Err(e) => panic!("websocket connect failed: {e}"),
        }
    }

    /// The next JSON text frame.
    pub async fn frame(&mut self) -> Value {
        use futures_util::StreamExt;
        loop {
            let msg = tokio::time::timeout(WS_WAIT, self.stream.next())
                .await
                .expect("no frame within the wait bound")
                .expect("connection closed")
                .expect("websocket error");
            match msg {
                tokio_tungstenite::tungstenite::Message::Text(t) => {
                    return serde_json::from_str(&t).expect("JSON frame");
                }
                tokio_tungstenite::tungstenite::Message::Close(c) => {
                    panic!("server closed the connection: {c:?}")
                }
                _ => continue,
            }
        }
    }

    /// Sends up to `max` frames made by `frame(i)`, each after the previous
    /// one's reply, until the server closes the connection: its close code
    /// (`None` if it never closed, or closed without a code).
    pub async fn send_until_closed(&mut self, max: u64, frame: impl Fn(u64) -> String) -> Option<u16> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        for i in 0..max {
            if self.stream.send(Message::Text(frame(i).into())).await.is_err() {
                return None;
            }
            loop {
                match tokio::time::timeout(WS_WAIT, self.stream.next()).await.expect("no frame within the wait bound") {
                    Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                    Some(Ok(Message::Text(t))) => {
                        let v: Value = serde_json::from_str(&t).expect("json");
                        if v.get("event").is_none() {
                            break;
                        }
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return None,
                }
            }
        }
        None
    }

    /// Sends a raw text frame.
    pub async fn send_raw(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.stream.send(tokio_tungstenite::tungstenite::Message::Text(text.into())).await.expect("send");
    }

    /// Sends a request and waits for its reply, keeping pushes in `events`.
    pub async fn request(&mut self, op: &str, data: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_raw(&serde_json::json!({"id": id, "op": op, "data": data}).to_string()).await;
        loop {
            let f = self.frame().await;
            if f.get("event").is_some() {
                self.events.push_back(f);
            } else if f["id"] == id {
                return f;
            }
        }
    }

    /// Like [`WsClient::request`], asserting success; returns `data`.
    pub async fn ok(&mut self, op: &str, data: Value) -> Value {
        let reply = self.request(op, data).await;
        assert_eq!(reply["ok"], true, "{op} failed: {reply}");
        reply["data"].clone()
    }

    /// The next push with this event name (earlier pushes of other names are kept).
    pub async fn event(&mut self, name: &str) -> Value {
        if let Some(pos) = self.events.iter().position(|e| e["event"] == name) {
            return self.events.remove(pos).expect("present");
        }
        loop {
            let f = self.frame().await;
            if f["event"] == name {
                return f;
            }
            if f.get("event").is_some() {
                self.events.push_back(f);
            }
        }
    }

    /// A push with this event name if one arrives within `wait` (kept pushes first).
    pub async fn try_event(&mut self, name: &str, wait: std::time::Duration) -> Option<Value> {
        use futures_util::StreamExt;
        if let Some(pos) = self.events.iter().position(|e| e["event"] == name) {
            return self.events.remove(pos);
        }
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, self.stream.next()).await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                let f: Value = serde_json::from_str(&t).expect("JSON frame");
                if f["event"] == name {
                    return Some(f);
                }
                if f.get("event").is_some() {
                    self.events.push_back(f);
                }
            }
        }
        None
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// Two `caas serve` processes sharing one PostgreSQL schema and Redis, with an
/// app. Each cluster has its own name (`CAAS_CLUSTER`), so that tests running
/// at once on one Redis place calls only on their own nodes.
pub struct Cluster {
    pub db: TestDb,
    pub app: caas_api::apps::Created,
    pub nodes: [CaasProcess; 2],
    /// `CAAS_CLUSTER` of both nodes.
    pub name: String,
    http: reqwest::Client,
}

impl Cluster {
    /// Creates the schema and the app, then starts both nodes.
    pub async fn start() -> Cluster {
        Cluster::start_with(&[]).await
    }

    /// Like [`Cluster::start`], with more environment for both nodes.
    pub async fn start_with(extra: &[(&str, &str)]) -> Cluster {
        let db = TestDb::new(Backend::Postgres).await;
        let store = Store::connect(&db.url).await.expect("store");
        let app = ops::create_app(&store, "Cluster", &["127.0.0.1".into()], &[]).await.expect("app");
        store.close().await;
        let name = format!("t{:016x}", rand::random::<u64>());
        let mut env = vec![
            ("CAAS_DATABASE_URL", db.url.as_str()),
            ("CAAS_REDIS_URL", "redis://127.0.0.1:6379"),
            ("CAAS_CLUSTER", name.as_str()),
        ];
        env.extend_from_slice(extra);
        let nodes = [CaasProcess::start(&env), CaasProcess::start(&env)];
        Cluster { db, app, nodes, name, http: reqwest::Client::new() }
    }

    /// A session token for `user`, opened on node `n`.
    pub async fn token(&self, n: usize, user: &str) -> String {
        self.token_of(&self.app, n, user).await
    }

    /// Another app in the cluster's database.
    pub async fn other_app(&self, name: &str) -> caas_api::apps::Created {
        let store = Store::connect(&self.db.url).await.expect("store");
        let app = ops::create_app(&store, name, &["127.0.0.1".into()], &[]).await.expect("app");
        store.close().await;
        app
    }

    /// A session token for `user` of `app`, opened on node `n`.
    pub async fn token_of(&self, app: &caas_api::apps::Created, n: usize, user: &str) -> String {
        let req = self
            .http
            .post(self.nodes[n].url("/v1/admin/sessions"))
            .basic_auth(&app.app.api_key, Some(&app.api_secret))
            .json(&serde_json::json!({"user_id": user}));
        let (s, b) = read(req.send().await.expect("session")).await;
        assert_eq!(s, 200, "{b}");
        b["token"].as_str().expect("token").to_owned()
    }

    /// A real-time connection with `token` to node `n`, past `session.ready`.
    pub async fn connect_with(&self, n: usize, token: &str) -> WsClient {
        let mut ws = WsClient::try_connect_addr(self.nodes[n].addr, token, None, None).await.expect("connected");
        assert_eq!(ws.frame().await["event"], "session.ready");
        ws
    }

    /// A real-time connection of `user` to node `n`, past `session.ready`.
    pub async fn connect(&self, n: usize, user: &str) -> WsClient {
        let token = self.token(n, user).await;
        let mut ws = WsClient::try_connect_addr(self.nodes[n].addr, &token, None, None).await.expect("connected");
        assert_eq!(ws.frame().await["event"], "session.ready");
        ws
    }

    /// Stops both nodes and drops the schema.
    pub async fn stop(self) {
        let Cluster { db, nodes, .. } = self;
        drop(nodes);
        db.drop_schema().await;
    }
}

/// A `caas serve` process, stopped (SIGTERM, then kill) when dropped.
pub struct CaasProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
    /// Every log line after `caas listening`, as written.
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl CaasProcess {
    /// Starts `caas serve` on an ephemeral port with `env`, and waits until it listens.
    pub fn start(env: &[(&str, &str)]) -> CaasProcess {
        use std::io::{BufRead, BufReader};
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_caas"));
        cmd.arg("serve")
            .env("CAAS_HTTP_ADDR", "127.0.0.1:0")
            .env("CAAS_RTC_UDP_ADDR", "127.0.0.1:0")
            .env("CAAS_LOG_FORMAT", "json")
            .env("CAAS_LOG", "info")
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start caas serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = loop {
            let line = lines.next().expect("caas exited before listening").expect("log line");
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("log line is not JSON: {line}"));
            if v["fields"]["message"] == "caas listening" {
                break v["fields"]["addr"].as_str().expect("addr").parse().expect("socket addr");
            }
        };
        // Keep draining the logs so the process never blocks on a full pipe.
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = logs.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().expect("logs").push(line);
            }
        });
        CaasProcess { child, addr, logs }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for CaasProcess {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl WsClient {
    /// Waits for the server to close the connection; returns the close code, if any.
    pub async fn closed(&mut self) -> Option<u16> {
        use futures_util::StreamExt;
        loop {
            match tokio::time::timeout(WS_WAIT, self.stream.next()).await.expect("no close within the wait bound") {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    return frame.map(|f| u16::from(f.code));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}
