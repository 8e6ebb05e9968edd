//! Which node's SFU holds a room. A room is placed when it is first joined,
//! on the least-loaded live node ([`least_loaded`]), and recorded in Redis
//! (`caas:{cluster}:call-room:{app}:{room}`) so that every node sends its participants
//! there. The owner keeps the record alive while the room has participants
//! ([`upkeep`]); a record naming a dead node is replaced at the next join, so
//! a room whose node died is created again on a live one.

use std::sync::Arc;
use std::time::Duration;

use caas_sfu::RoomKey;
use caas_sfu::driver::SfuHandle;

use super::relay::{Relay, RelayError};
use crate::live::nodes::{DEAD_AFTER, NodeId, NodeLoad, Nodes, least_loaded};

/// A room's record lives this long past the owner's last refresh.
pub const ROOM_TTL: Duration = Duration::from_secs(30);
/// How often a node publishes its load, and refreshes its rooms' records
/// every [`REFRESH_EVERY`] of these.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(1);
/// Upkeep rounds between two refreshes of the rooms' records (well within [`ROOM_TTL`]).
const REFRESH_EVERY: u32 = 5;

/// Keeps the owner if it beat within the dead time (Redis' clock), else
/// records the candidate: KEYS[1] the room's key, KEYS[2] the set of nodes;
/// ARGV[1] the node for a new room, ARGV[2] the TTL (ms), ARGV[3] the dead
/// time (ms). Returns the owner.
const PLACE: &str = r"
local owner = redis.call('GET', KEYS[1])
if owner then
  local beat = redis.call('ZSCORE', KEYS[2], owner)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if beat and now - tonumber(beat) < tonumber(ARGV[3]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return owner
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
";
static PLACE_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(PLACE));

impl Relay {
    /// The Redis key of a room's owner.
    pub fn room_key(&self, room: &RoomKey) -> String {
        self.key(format_args!("call-room:{}:{}", room.app, room.room))
    }

    /// The owner of `room`, placing it on the least-loaded of `live` (this
    /// node's view) if it has none or its owner is dead.
    pub async fn owner(&self, room: &RoomKey, live: &[NodeLoad], me: NodeId) -> Result<NodeId, RelayError> {
        let candidate = least_loaded(live, me).unwrap_or(me);
        let script = &*PLACE_SCRIPT;
        let mut place = script.key(self.room_key(room));
        place.key(self.key("nodes"));
        place.arg(candidate.to_string()).arg(ROOM_TTL.as_millis() as u64).arg(DEAD_AFTER.as_millis() as u64);
        let mut c = self.connection().await?;
        let owner: String = match place.invoke_async(&mut c).await {
            Ok(o) => o,
            Err(e) => {
                self.forget_connection();
                return Err(e.into());
            }
        };
        owner.parse().map_err(|_| RelayError::Unreachable)
    }

    /// Keeps the records of `rooms` (this node holds them) alive, and writes
    /// back one Redis lost (a restart): a room is never placed twice while
    /// its node lives.
    async fn refresh(&self, rooms: &[(RoomKey, usize)], me: NodeId) -> Result<(), RelayError> {
        if rooms.is_empty() {
            return Ok(());
        }
        let ttl = ROOM_TTL.as_millis() as u64;
        let mut pipe = redis::pipe();
        for (room, _) in rooms {
            let key = self.room_key(room);
            pipe.cmd("SET").arg(&key).arg(me.to_string()).arg("NX").arg("PX").arg(ttl).ignore();
            pipe.pexpire(&key, ttl as i64).ignore();
        }
        let mut c = self.connection().await?;
        if let Err(e) = pipe.query_async::<()>(&mut c).await {
            self.forget_connection();
            return Err(e.into());
        }
        Ok(())
    }
}

/// Publishes this node's load (participants) and keeps its rooms' records
/// alive, until the task is aborted.
pub async fn upkeep(sfu: SfuHandle, nodes: Arc<Nodes>, relay: Option<Arc<Relay>>) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round = 0u32;
    loop {
        tick.tick().await;
        round = round.wrapping_add(1);
        let Some(relay) = &relay else {
            nodes.set_participants(sfu.stats().await.1 as u64);
            continue;
        };
        let rooms = sfu.rooms().await;
        nodes.set_participants(rooms.iter().map(|(_, n)| *n as u64).sum());
        if round.is_multiple_of(REFRESH_EVERY)
            && let Err(e) = relay.refresh(&rooms, nodes.id()).await
        {
            tracing::warn!(error = %e, rooms = rooms.len(), "cannot refresh the call rooms' records");
        }
    }
}
