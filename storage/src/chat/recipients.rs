//! Who receives a conversation's events: member lists cached per node, keyed by
//! the conversation's `member_version`.
//!
//! Every insert into or delete from `members` bumps `conversations.member_version`
//! (a trigger, so no write path can forget it). A reader that knows the current
//! version takes the cached list only if it was loaded at that same version, so
//! the cache never serves a list older than what the database says — on any
//! node, whoever changed the membership.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::AppId;

/// Entries kept before the cache starts over (a bound on memory, not a tuning knob).
const CAPACITY: usize = 50_000;

/// The members of one conversation, sorted by user id.
pub type Members = Arc<[UserId]>;

/// Member lists by conversation, each tagged with the version it was read at.
#[derive(Default)]
pub(crate) struct MemberCache {
    entries: Mutex<HashMap<(AppId, ConversationId), (i64, Members)>>,
}

impl MemberCache {
    /// The cached list of `conv` if it was loaded at `version`.
    pub(crate) fn get(&self, app: AppId, conv: ConversationId, version: i64) -> Option<Members> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still whole.
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&(app, conv)).filter(|(v, _)| *v == version).map(|(_, m)| m.clone())
    }

    /// Remembers `members` of `conv` as of `version` (a newer entry is kept).
    pub(crate) fn put(&self, app: AppId, conv: ConversationId, version: i64, members: Members) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&(app, conv)) {
            entries.clear();
        }
        let slot = entries.entry((app, conv)).or_insert((version, members.clone()));
        if slot.0 < version {
            *slot = (version, members);
        }
    }
}

/// Reads `conv`'s members and the version they belong to, in one statement (one
/// snapshot); `None` if the conversation does not exist. Evaluates to
/// `Result<Option<(i64, Members)>>`.
macro_rules! load_members {
    ($ex:expr, $app:expr, $conv:expr) => {{
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT c.member_version, m.user_id FROM conversations c \
             LEFT JOIN members m ON m.app_id = c.app_id AND m.conversation_id = c.id \
             WHERE c.app_id = $1 AND c.id = $2",
        )
        .bind($app)
        .bind($conv.to_string())
        .fetch_all($ex)
        .await?;
        $crate::chat::recipients::collect_members(rows)
    }};
}
pub(crate) use load_members;

pub(crate) fn collect_members(rows: Vec<(i64, Option<String>)>) -> Result<Option<(i64, Members)>> {
    let Some(version) = rows.first().map(|(v, _)| *v) else {
        return Ok(None);
    };
    let mut members = rows
        .into_iter()
        .filter_map(|(_, u)| u)
        .map(|u| parse::<UserId>("members.user_id", &u))
        .collect::<Result<Vec<_>>>()?;
    members.sort();
    Ok(Some((version, members.into())))
}

/// The current members of `$conv` through `$ex` (a transaction as `&mut *tx`, or
/// a pool), from `$scope`'s cache when it holds the current version; returns
/// `NotFound` from the enclosing function if the conversation does not exist.
/// Evaluates to [`Members`].
macro_rules! current_members {
    ($scope:expr, $ex:expr, $app:expr, $conv:expr) => {{
        let version: Option<(i64,)> =
            sqlx::query_as("SELECT member_version FROM conversations WHERE app_id = $1 AND id = $2")
                .bind($app)
                .bind($conv.to_string())
                .fetch_optional($ex)
                .await?;
        let Some((version,)) = version else {
            return Err(StoreError::NotFound { what: "conversation" });
        };
        match $scope.store.members.get($scope.app_id, $conv, version) {
            Some(members) => members,
            None => {
                let (version, members) = $crate::chat::recipients::load_members!($ex, $app, $conv)?
                    .ok_or(StoreError::NotFound { what: "conversation" })?;
                $scope.store.members.put($scope.app_id, $conv, version, members.clone());
                members
            }
        }
    }};
}
pub(crate) use current_members;

impl AppScope<'_> {
    /// The members of `conv`, sorted (from the node's cache when it is current).
    /// `NotFound` if the conversation does not exist in this app.
    pub async fn recipients(&self, conv: ConversationId) -> Result<Members> {
        let app = self.id();
        Ok(on_pool!(self.db(), |pool| current_members!(self, pool, &app, conv)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Members {
        names.iter().map(|n| n.parse::<UserId>().expect("valid id")).collect::<Vec<_>>().into()
    }

    #[test]
    fn serves_only_the_version_it_was_loaded_at() {
        let cache = MemberCache::default();
        let (app, conv) = (AppId::generate(), ConversationId::generate());
        assert!(cache.get(app, conv, 1).is_none());
        cache.put(app, conv, 1, ids(&["ann", "bob"]));
        assert_eq!(cache.get(app, conv, 1).as_deref(), Some(&ids(&["ann", "bob"])[..]));
        assert!(cache.get(app, conv, 2).is_none(), "a newer version is a miss");
        // An older list never replaces a newer one.
        cache.put(app, conv, 3, ids(&["ann"]));
        cache.put(app, conv, 2, ids(&["ann", "bob", "cy"]));
        assert_eq!(cache.get(app, conv, 3).as_deref(), Some(&ids(&["ann"])[..]));
        // Another app's conversation with the same id is another entry.
        assert!(cache.get(AppId::generate(), conv, 3).is_none());
    }
}
