//! Feed and object-listing latency at scale, on SQLite and PostgreSQL.
//!
//! Seeds one app with `FEED_POSTS` objects (default 1 000 000; 90 % posts, 10 %
//! reels; 70 % for followers, 30 % public) by 10 000 users, and a reader who
//! follows 1 000 of them; then times, through the storage layer (the same
//! queries the REST routes run):
//! - the home feed's first page of 20, and page 10 (cursor);
//! - the object listing by kind (`kind=post`) as that reader, and as the admin;
//! - explore (public, newest first).
//!
//! Run: `cargo bench -p caas-storage --bench feed` (env `FEED_POSTS`,
//! `FEED_RUNS` (default 300), `FEED_BACKENDS` = `sqlite,postgres`,
//! `FEED_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`)).

// Tests and benches fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use caas_storage::{NewApp, NewSigningKey, ObjectFilter, ObjectKind, Store, UserId};

const USERS: i64 = 10_000;
const FOLLOWS: i64 = 1_000;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time<F, Fut>(label: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    // Warm the caches first, as a running server would be.
    for _ in 0..10 {
        f().await;
    }
    let mut took = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        rows = f().await;
        took.push(t.elapsed());
    }
    took.sort();
    println!(
        "  {label:<38} rows {rows:>3}  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        pct(&took, 0.5),
        pct(&took, 0.99),
        pct(&took, 1.0)
    );
}

async fn seed(url: &str, store: &Store, posts: i64) -> caas_storage::AppId {
    let app = store
        .create_app(NewApp {
            name: "feed-bench".into(),
            api_key: format!("bench-{}", rand_suffix()),
            secret_hash: vec![0; 32],
            allowed_ips: vec![],
            allowed_origins: vec![],
            signing_key: NewSigningKey {
                kid: caas_storage::KeyId::generate(),
                private_der: vec![1; 48],
                public_key: vec![2; 32],
            },
        })
        .await
        .expect("app");
    let id = app.id.to_string();
    let t = Instant::now();
    // One statement each, generated in the database: seeding stays quick.
    let statements = [
        format!(
            "{} INSERT INTO follows (app_id, follower, followee, created_at) \
             SELECT '{id}', 'reader', 'u' || (g * {step}), 0 FROM c",
            numbers(url, FOLLOWS),
            step = USERS / FOLLOWS,
        ),
        format!(
            "{} INSERT INTO objects (app_id, id, kind, owner_id, visibility, payload, created_at, updated_at) \
             SELECT '{id}', {}, CASE WHEN g % 10 = 0 THEN 'reel' ELSE 'post' END, 'u' || (g % {USERS}), \
             CASE WHEN g % 10 < 3 THEN 'public' ELSE 'followers' END, '{{\"text\":\"post\",\"media\":[]}}', \
             1700000000000 + g * 1000, 1700000000000 + g * 1000 FROM c",
            numbers(url, posts),
            id_of_g(url),
        ),
    ];
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s)).execute(&pool).await.expect("seed");
        }
        sqlx::query("ANALYZE").execute(&pool).await.expect("analyze");
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        for s in statements {
            sqlx::query(sqlx::AssertSqlSafe(s)).execute(&pool).await.expect("seed");
        }
        sqlx::query("ANALYZE").execute(&pool).await.expect("analyze");
    }
    println!("  seeded {posts} objects, {FOLLOWS} follows in {:.1} s", t.elapsed().as_secs_f64());
    app.id
}

/// A CTE `c(g)` of 0..n.
fn numbers(url: &str, n: i64) -> String {
    if url.starts_with("sqlite:") {
        format!("WITH RECURSIVE c(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM c WHERE g + 1 < {n})")
    } else {
        format!("WITH c(g) AS (SELECT generate_series(0, {n} - 1))")
    }
}

/// A unique, time-ordered UUID-shaped id for row `g`.
fn id_of_g(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "printf('00000000-0000-7000-8000-%012d', g)"
    } else {
        "'00000000-0000-7000-8000-' || lpad(g::text, 12, '0')"
    }
}

fn rand_suffix() -> String {
    format!("{:x}", Instant::now().elapsed().as_nanos() ^ std::process::id() as u128)
}

async fn run(label: &str, url: &str, posts: i64, runs: usize) {
    println!("== {label}: {posts} objects");
    let store = Store::connect(url).await.expect("store");
    let app = seed(url, &store, posts).await;
    let scope = store.app(app);
    let reader: UserId = "reader".parse().expect("id");
    let kinds = [ObjectKind::Post, ObjectKind::Reel];
    time("home feed, first page of 20", runs, || async {
        scope.home_feed(&reader, &kinds, None, 20).await.expect("feed").items.len()
    })
    .await;
    let mut cursor = None;
    for _ in 0..9 {
        cursor = scope.home_feed(&reader, &kinds, cursor.as_deref(), 20).await.expect("feed").next_cursor;
    }
    time("home feed, page 10 (cursor)", runs, || async {
        scope.home_feed(&reader, &kinds, cursor.as_deref(), 20).await.expect("feed").items.len()
    })
    .await;
    let by_kind = ObjectFilter { kind: Some(ObjectKind::Post), ..Default::default() };
    time("objects by kind, as the reader", runs, || async {
        scope.list_objects(Some(&reader), &by_kind, None, 20).await.expect("list").items.len()
    })
    .await;
    time("objects by kind, admin", runs, || async {
        scope.list_objects(None, &by_kind, None, 20).await.expect("list").items.len()
    })
    .await;
    time("explore, newest first", runs, || async {
        scope.explore(&reader, &kinds, caas_storage::ExploreSort::Recent, None, 20).await.expect("explore").items.len()
    })
    .await;
    store.close().await;
}

fn main() {
    let posts: i64 = env("FEED_POSTS", "1000000").parse().expect("FEED_POSTS");
    let runs: usize = env("FEED_RUNS", "300").parse().expect("FEED_RUNS");
    let backends = env("FEED_BACKENDS", "sqlite,postgres");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        if backends.contains("sqlite") {
            let dir = tempfile::tempdir().expect("tmp");
            let url = format!("sqlite://{}/feed.db", dir.path().display());
            run("SQLite", &url, posts, runs).await;
        }
        if backends.contains("postgres") {
            let base = env("FEED_PG_URL", "postgres://postgres@127.0.0.1:5432/test");
            let schema = format!("feed_bench_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&base).await.expect("postgres");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.expect("schema");
            let url = format!("{base}?options[search_path]={schema}");
            run("PostgreSQL", &url, posts, runs).await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&admin)
                .await
                .expect("drop");
        }
    });
}
