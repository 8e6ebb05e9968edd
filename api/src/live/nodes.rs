//! The nodes of a cluster (`CAAS_REDIS_URL`): each node's id, liveness and
//! load, in Redis, so that work can be placed on the least-loaded node and a
//! dead node told from a slow one.
//!
//! Every [`HEARTBEAT_EVERY`] a node runs one script on Redis that stamps it in
//! the sorted set `caas:{cluster}:nodes` with Redis' own clock (so the nodes'
//! clocks need not agree), writes its load in `caas:{cluster}:node:{id}` and
//! returns every node stamped within [`DEAD_AFTER`] with its load. That list is this node's view
//! of the cluster until the next beat; [`Nodes::watch`] hands it out.
//!
//! Ids are random per process: a restarted node is a new node, and nothing
//! placed on its previous life is mistaken for its own.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// How often a node beats.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// A node not heard from for this long is dead.
pub const DEAD_AFTER: Duration = Duration::from_secs(3);
/// A node's load and connection counts expire this long after its last beat.
pub const COUNTS_TTL: Duration = Duration::from_secs(12);
/// Nodes silent this long are removed from the set of nodes.
const FORGET_AFTER: Duration = Duration::from_secs(60);

/// A node's id: 16 hex digits, random per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(u64);

impl NodeId {
    /// A new random id.
    pub fn random() -> NodeId {
        NodeId(rand::random())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Not 1–16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a node id is 1 to 16 hex digits")]
pub struct BadNodeId;

impl FromStr for NodeId {
    type Err = BadNodeId;
    fn from_str(s: &str) -> Result<Self, BadNodeId> {
        if s.is_empty() || s.len() > 16 {
            return Err(BadNodeId);
        }
        u64::from_str_radix(s, 16).map(NodeId).map_err(|_| BadNodeId)
    }
}

/// A cluster's name (`CAAS_CLUSTER`): 1–64 characters of `A-Z a-z 0-9 _ -`.
/// Clusters sharing one Redis keep their nodes, call rooms and connection
/// counts apart by it (events, presence and documents are keyed by app).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterName(String);

/// Not a cluster name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a cluster name is 1 to 64 characters of A-Z a-z 0-9 _ -")]
pub struct BadClusterName;

impl FromStr for ClusterName {
    type Err = BadClusterName;
    fn from_str(s: &str) -> Result<Self, BadClusterName> {
        let ok =
            !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok { Ok(ClusterName(s.to_owned())) } else { Err(BadClusterName) }
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A live node and its load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLoad {
    /// The node.
    pub id: NodeId,
    /// Call participants on its SFU.
    pub participants: u64,
}

/// The live nodes as of the last heartbeat, this node among them.
pub type Live = Arc<[NodeLoad]>;

/// The least-loaded of `live`: fewest participants, `prefer` on a tie (no
/// relay hop for the node asking), then the lowest id (every node picks the
/// same). `None` only for an empty list.
pub fn least_loaded(live: &[NodeLoad], prefer: NodeId) -> Option<NodeId> {
    live.iter().min_by_key(|n| (n.participants, n.id != prefer, n.id)).map(|n| n.id)
}

/// This node in the cluster. Without Redis it is alone: [`Nodes::live`] names
/// only itself.
pub struct Nodes {
    id: NodeId,
    cluster: ClusterName,
    /// Set when the node stops: no more beats.
    leaving: std::sync::atomic::AtomicBool,
    participants: AtomicU64,
    live: watch::Sender<Live>,
}

/// Stamps the node, writes its load and returns the live nodes with theirs:
/// `[id1, participants1, id2, participants2, …]`. KEYS: the set of nodes,
/// this node's load and its connection counts ([`super::quota`]); ARGV: id, participants, dead after (ms), load TTL (ms),
/// forget after (ms), the prefix of load keys.
const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], 'participants', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[5]))
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[3]), '+inf')
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', ARGV[6] .. id, 'participants') or '0'
end
return out
";
static HEARTBEAT_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(HEARTBEAT));

impl Nodes {
    /// This node of `cluster`, alone until its first heartbeat says otherwise.
    pub fn new(cluster: ClusterName) -> Nodes {
        let id = NodeId::random();
        let alone: Live = Arc::from(vec![NodeLoad { id, participants: 0 }]);
        Nodes {
            id,
            cluster,
            leaving: std::sync::atomic::AtomicBool::new(false),
            participants: AtomicU64::new(0),
            live: watch::channel(alone).0,
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// A Redis key or channel of this cluster: `caas:{cluster}:{rest}`.
    pub fn key(&self, rest: impl fmt::Display) -> String {
        format!("caas:{}:{rest}", self.cluster)
    }

    /// The key of a node's load.
    pub fn load_key(&self, node: NodeId) -> String {
        self.key(format_args!("node:{node}"))
    }

    /// The key of a node's connection counts.
    pub fn conns_key(&self, node: NodeId) -> String {
        self.key(format_args!("conns:{node}"))
    }

    /// Sets this node's load, published with the next heartbeat.
    pub fn set_participants(&self, n: u64) {
        self.participants.store(n, Ordering::Relaxed);
    }

    /// The live nodes as of the last heartbeat.
    pub fn live(&self) -> Live {
        self.live.borrow().clone()
    }

    /// The live nodes, each time they change.
    pub fn watch(&self) -> watch::Receiver<Live> {
        self.live.subscribe()
    }

    /// Beats until the task is aborted. A beat that cannot reach Redis keeps
    /// the previous view (the other nodes will think this one dead after
    /// [`DEAD_AFTER`], and this one keeps serving what it holds).
    pub async fn heartbeat(self: Arc<Self>, client: redis::Client) {
        let script = &*HEARTBEAT_SCRIPT;
        let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut conn = None;
        // After beats that failed, nodes may look dead only because this node
        // (or Redis) could not beat: for DEAD_AFTER after Redis answers again,
        // a beat may add nodes but not remove any.
        let mut recovered: Option<std::time::Instant> = None;
        loop {
            tick.tick().await;
            if self.leaving.load(Ordering::Acquire) {
                return;
            }
            if conn.is_none() {
                conn = client.get_multiplexed_async_connection().await.ok();
            }
            let Some(c) = conn.as_mut() else {
                tracing::warn!(node = %self.id, "cannot reach Redis for the node heartbeat");
                recovered = None;
                continue;
            };
            let beat: Result<Vec<String>, _> = script
                .key(self.key("nodes"))
                .key(self.load_key(self.id))
                .key(self.conns_key(self.id))
                .arg(self.id.to_string())
                .arg(self.participants.load(Ordering::Relaxed))
                .arg(DEAD_AFTER.as_millis() as u64)
                .arg(COUNTS_TTL.as_millis() as u64)
                .arg(FORGET_AFTER.as_millis() as u64)
                .arg(self.key("node:"))
                .invoke_async(c)
                .await;
            match beat {
                Ok(flat) => {
                    let since = *recovered.get_or_insert_with(std::time::Instant::now);
                    let live = view(&self.live(), parse_live(&flat), since.elapsed() < DEAD_AFTER);
                    self.live.send_if_modified(|old| {
                        let changed = old.as_ref() != live.as_slice();
                        if changed {
                            *old = Arc::from(live);
                        }
                        changed
                    });
                }
                Err(e) => {
                    tracing::warn!(node = %self.id, error = %e, "node heartbeat failed");
                    conn = None;
                    recovered = None;
                }
            }
        }
    }
}

/// The live nodes after a beat that saw `beat`: with `keep_missing` (Redis
/// answered again less than [`DEAD_AFTER`] ago) nodes of `previous` the beat
/// did not see stay, since their silence may be Redis' or this node's.
fn view(previous: &[NodeLoad], mut beat: Vec<NodeLoad>, keep_missing: bool) -> Vec<NodeLoad> {
    if keep_missing {
        let missing: Vec<NodeLoad> = previous.iter().filter(|n| !beat.iter().any(|b| b.id == n.id)).copied().collect();
        beat.extend(missing);
        beat.sort_by_key(|n| n.id);
    }
    beat
}

impl Nodes {
    /// Leaves the cluster (the node is stopping): no more beats, and the other
    /// nodes stop placing rooms here at once rather than after [`DEAD_AFTER`].
    pub async fn leave(&self, client: &redis::Client) {
        self.leaving.store(true, Ordering::Release);
        let left: Result<(), redis::RedisError> = async {
            let mut c = client.get_multiplexed_async_connection().await?;
            redis::pipe()
                .zrem(self.key("nodes"), self.id.to_string())
                .ignore()
                .del(self.load_key(self.id))
                .ignore()
                .query_async(&mut c)
                .await
        }
        .await;
        if let Err(e) = left {
            tracing::warn!(node = %self.id, error = %e, "cannot leave the cluster; the others will find this node dead");
        }
    }
}

/// `[id, participants, …]` as loads, sorted by id; unreadable pairs skipped.
fn parse_live(flat: &[String]) -> Vec<NodeLoad> {
    let mut live: Vec<NodeLoad> = flat
        .chunks_exact(2)
        .filter_map(|pair| Some(NodeLoad { id: pair[0].parse().ok()?, participants: pair[1].parse().unwrap_or(0) }))
        .collect();
    live.sort_by_key(|n| n.id);
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(id: u64, participants: u64) -> NodeLoad {
        NodeLoad { id: NodeId(id), participants }
    }

    #[test]
    fn the_least_loaded_node_wins_and_a_tie_stays_home() {
        let live = [load(1, 5), load(2, 0), load(3, 0)];
        assert_eq!(least_loaded(&live, NodeId(1)), Some(NodeId(2)), "lowest id among the idle");
        assert_eq!(least_loaded(&live, NodeId(3)), Some(NodeId(3)), "a tie prefers the asking node");
        assert_eq!(least_loaded(&[load(1, 1), load(2, 0)], NodeId(1)), Some(NodeId(2)), "load beats locality");
        assert_eq!(least_loaded(&[], NodeId(1)), None);
    }

    #[test]
    fn node_ids_round_trip_and_bad_ones_are_refused() {
        let id = NodeId(0xdead_beef);
        assert_eq!(id.to_string(), "00000000deadbeef");
        assert_eq!(id.to_string().parse::<NodeId>(), Ok(id));
        for bad in ["", "xyz", "00000000000000000", "-1"] {
            assert_eq!(bad.parse::<NodeId>(), Err(BadNodeId), "{bad}");
        }
    }

    #[test]
    fn nodes_are_not_declared_dead_right_after_redis_comes_back() {
        let before = [load(1, 0), load(2, 3)];
        let beat = vec![load(1, 1)];
        assert_eq!(view(&before, beat.clone(), true), vec![load(1, 1), load(2, 3)], "node 2 is kept for now");
        assert_eq!(view(&before, beat, false), vec![load(1, 1)], "then its silence counts");
        assert_eq!(view(&before, vec![load(1, 0), load(2, 1), load(3, 0)], true).len(), 3, "new nodes join at once");
    }

    #[test]
    fn cluster_names_are_checked() {
        assert_eq!("prod-eu_1".parse::<ClusterName>().map(|c| c.to_string()), Ok("prod-eu_1".to_owned()));
        for bad in ["", "a:b", "a b", &"x".repeat(65)] {
            assert_eq!(bad.parse::<ClusterName>(), Err(BadClusterName), "{bad}");
        }
    }

    #[test]
    fn heartbeat_replies_become_sorted_loads() {
        let flat: Vec<String> = ["b", "2", "a", "7", "zz", "1", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(parse_live(&flat), vec![load(0xa, 7), load(0xb, 2)], "unreadable ids and a dangling id skipped");
    }
}
