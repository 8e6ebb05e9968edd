//! Feeds: home (the people one follows, and oneself), explore (public objects
//! by recency or popularity) and the stories strip. Every feed applies the
//! visibility predicate, so blocked users' content never shows.

use serde::Serialize;

use super::{Object, ObjectKind, ObjectPage, ObjectRow, object, object_columns, page, time_cursor, visible};
use crate::{AppScope, Result, StoreError, UserId, now_ms, on_pool};

/// Order of the explore feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExploreSort {
    /// Newest first.
    Recent,
    /// Most liked first (then newest).
    Popular,
}

impl std::str::FromStr for ExploreSort {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "recent" => Ok(ExploreSort::Recent),
            "popular" => Ok(ExploreSort::Popular),
            _ => {
                Err(StoreError::Invalid { code: "invalid_sort", message: "sort must be `recent` or `popular`".into() })
            }
        }
    }
}

/// One user's active stories in the strip.
#[derive(Debug, Clone, Serialize)]
pub struct StoryRing {
    /// Whose stories.
    pub owner_id: UserId,
    /// Oldest first, as they play.
    pub stories: Vec<Object>,
    /// The reader has seen every one.
    pub all_seen: bool,
}

/// Three kind names for `kind IN ($a, $b, $c)` (any subset, repeated to fill).
fn kinds3(kinds: &[ObjectKind]) -> [&'static str; 3] {
    let first = kinds.first().copied().unwrap_or(ObjectKind::Post).as_str();
    let at = |i: usize| kinds.get(i).map(|k| k.as_str()).unwrap_or(first);
    [first, at(1), at(2)]
}

impl AppScope<'_> {
    /// The home feed of `viewer`: objects of `kinds` by the users they follow
    /// and their own, newest first.
    pub async fn home_feed(
        &self,
        viewer: &UserId,
        kinds: &[ObjectKind],
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<ObjectPage> {
        let (before_at, before_id) = time_cursor(cursor)?;
        let rows: Vec<ObjectRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                object_columns!(2),
                " FROM objects o WHERE o.app_id = $1 \
                 AND ((o.owner_id || '') = $2 OR (o.owner_id || '') IN \
                      (SELECT f.followee FROM follows f WHERE f.app_id = $1 AND f.follower = $2)) \
                 AND (o.kind || '') IN ($4, $8, $9) \
                 AND o.created_at <= $5 AND (o.created_at < $5 OR o.id < $6) AND ",
                visible!(2, 3),
                " ORDER BY o.created_at DESC, o.id DESC LIMIT $7"
            ))
            .bind(self.id())
            .bind(viewer.as_str())
            .bind(now_ms())
            .bind(kinds3(kinds)[0])
            .bind(before_at)
            .bind(before_id)
            .bind(limit + 1)
            .bind(kinds3(kinds)[1])
            .bind(kinds3(kinds)[2])
            .fetch_all(pool)
            .await?
        });
        page(rows, limit)
    }

    /// Public objects of `kinds` for discovery, by recency or popularity.
    pub async fn explore(
        &self,
        viewer: &UserId,
        kinds: &[ObjectKind],
        sort: ExploreSort,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<ObjectPage> {
        match sort {
            ExploreSort::Recent => {
                let (before_at, before_id) = time_cursor(cursor)?;
                // Newest first along the time index. SQLite is kept from the
                // kind and popularity indexes by wrapping those columns;
                // PostgreSQL plans from its statistics and gets them plain.
                macro_rules! recent_sql {
                    ($visibility:literal, $kind:literal) => {
                        concat!(
                            "SELECT ",
                            object_columns!(2),
                            " FROM objects o WHERE o.app_id = $1 AND ",
                            $visibility,
                            " = 'public' AND ",
                            $kind,
                            " IN ($4, $8, $9) AND o.created_at <= $5 AND (o.created_at < $5 OR o.id < $6) AND ",
                            visible!(2, 3),
                            " ORDER BY o.created_at DESC, o.id DESC LIMIT $7"
                        )
                    };
                }
                let sql = match self.store.backend() {
                    crate::Backend::Sqlite => recent_sql!("(o.visibility || '')", "(o.kind || '')"),
                    crate::Backend::Postgres => recent_sql!("o.visibility", "o.kind"),
                };
                let rows: Vec<ObjectRow> = on_pool!(self.db(), |pool| {
                    sqlx::query_as(sql)
                        .bind(self.id())
                        .bind(viewer.as_str())
                        .bind(now_ms())
                        .bind(kinds3(kinds)[0])
                        .bind(before_at)
                        .bind(before_id)
                        .bind(limit + 1)
                        .bind(kinds3(kinds)[1])
                        .bind(kinds3(kinds)[2])
                        .fetch_all(pool)
                        .await?
                });
                page(rows, limit)
            }
            ExploreSort::Popular => {
                // Cursor `<likes>_<ms>_<id>`.
                let (likes, at, id) = match cursor {
                    None => (i64::MAX, i64::MAX, String::new()),
                    Some(c) => {
                        let bad = || StoreError::Invalid {
                            code: "invalid_cursor",
                            message: "cursor is not one this server gave".into(),
                        };
                        let mut parts = c.splitn(3, '_');
                        let likes = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                        let at = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
                        (likes, at, parts.next().ok_or_else(bad)?.to_owned())
                    }
                };
                let rows: Vec<ObjectRow> = on_pool!(self.db(), |pool| {
                    sqlx::query_as(concat!(
                        "SELECT ",
                        object_columns!(2),
                        " FROM objects o WHERE o.app_id = $1 AND o.visibility = 'public' \
                         AND o.kind IN ($4, $9, $10) \
                         AND (o.like_count < $5 OR (o.like_count = $5 AND (o.created_at < $6 \
                              OR (o.created_at = $6 AND o.id < $7)))) AND ",
                        visible!(2, 3),
                        " ORDER BY o.like_count DESC, o.created_at DESC, o.id DESC LIMIT $8"
                    ))
                    .bind(self.id())
                    .bind(viewer.as_str())
                    .bind(now_ms())
                    .bind(kinds3(kinds)[0])
                    .bind(likes)
                    .bind(at)
                    .bind(id)
                    .bind(limit + 1)
                    .bind(kinds3(kinds)[1])
                    .bind(kinds3(kinds)[2])
                    .fetch_all(pool)
                    .await?
                });
                let (rows, more) = crate::cut(rows, limit);
                let objects = rows.into_iter().map(object).collect::<Result<Vec<_>>>()?;
                // Most liked first: the cursor carries the likes too.
                Ok(ObjectPage::after_with(objects, more, |o| format!("{}_{}_{}", o.stats.likes, o.created_at, o.id)))
            }
        }
    }

    /// The stories strip: active stories of the users `viewer` follows (and
    /// their own first), unseen rings before seen ones, newest ring first.
    pub async fn story_rings(&self, viewer: &UserId) -> Result<Vec<StoryRing>> {
        let rows: Vec<ObjectRow> = on_pool!(self.db(), |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                object_columns!(2),
                " FROM objects o WHERE o.app_id = $1 AND o.kind = 'story' AND o.expires_at > $3 \
                 AND (o.owner_id = $2 OR o.owner_id IN (SELECT f.followee FROM follows f WHERE f.app_id = $1 AND f.follower = $2)) AND ",
                visible!(2, 3),
                " ORDER BY o.created_at ASC, o.id ASC LIMIT 2000"
            ))
            .bind(self.id())
            .bind(viewer.as_str())
            .bind(now_ms())
            .fetch_all(pool)
            .await?
        });
        let mut rings: Vec<StoryRing> = Vec::new();
        for row in rows {
            let story = object(row)?;
            match rings.iter_mut().find(|r| r.owner_id == story.owner_id) {
                Some(ring) => ring.stories.push(story),
                None => {
                    rings.push(StoryRing { owner_id: story.owner_id.clone(), stories: vec![story], all_seen: false })
                }
            }
        }
        for ring in &mut rings {
            ring.all_seen = ring.owner_id == *viewer || ring.stories.iter().all(|s| s.viewed);
        }
        let newest = |r: &StoryRing| r.stories.last().map(|s| s.created_at).unwrap_or(0);
        rings.sort_by(|a, b| {
            (b.owner_id == *viewer)
                .cmp(&(a.owner_id == *viewer))
                .then(a.all_seen.cmp(&b.all_seen))
                .then(newest(b).cmp(&newest(a)))
        });
        Ok(rings)
    }
}
