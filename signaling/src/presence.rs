//! Presence of the users connected to one node, as a state machine: counts
//! connections per user (several devices), keeps each user's chosen status, and
//! says when what others see changes.

use std::collections::HashMap;
use std::hash::Hash;

/// What a user shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Connected and active.
    Online,
    /// Connected, idle.
    Away,
    /// Connected but shown as offline to others.
    Invisible,
    /// Not connected.
    Offline,
}

impl Status {
    /// What others see.
    pub fn visible(self) -> Status {
        match self {
            Status::Invisible => Status::Offline,
            s => s,
        }
    }

    /// The more present of two statuses (a user online on one device and away
    /// on another is online).
    pub fn max(self, other: Status) -> Status {
        fn rank(s: Status) -> u8 {
            match s {
                Status::Online => 3,
                Status::Away => 2,
                Status::Invisible => 1,
                Status::Offline => 0,
            }
        }
        if rank(other) > rank(self) { other } else { self }
    }
}

#[derive(Debug)]
struct Entry {
    conns: usize,
    chosen: Status,
}

/// Users connected to this node.
#[derive(Debug)]
pub struct LocalPresence<K> {
    users: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> Default for LocalPresence<K> {
    fn default() -> Self {
        LocalPresence { users: HashMap::new() }
    }
}

impl<K: Hash + Eq + Clone> LocalPresence<K> {
    /// A connection of `user` opened. Returns the user's status on this node
    /// if this was their first connection here (a change to announce).
    pub fn connect(&mut self, user: &K) -> Option<Status> {
        let e = self.users.entry(user.clone()).or_insert(Entry { conns: 0, chosen: Status::Online });
        e.conns += 1;
        (e.conns == 1).then_some(e.chosen)
    }

    /// A connection closed. Returns true if it was the user's last one here.
    pub fn disconnect(&mut self, user: &K) -> bool {
        match self.users.get_mut(user) {
            Some(e) if e.conns > 1 => {
                e.conns -= 1;
                false
            }
            Some(_) => {
                self.users.remove(user);
                true
            }
            None => false,
        }
    }

    /// The user chose a status (online, away, invisible). Returns the old one
    /// if it changed.
    pub fn choose(&mut self, user: &K, status: Status) -> Option<Status> {
        let e = self.users.get_mut(user)?;
        let old = e.chosen;
        e.chosen = status;
        (old != status).then_some(old)
    }

    /// The user's status on this node (`Offline` if not connected here).
    pub fn status(&self, user: &K) -> Status {
        self.users.get(user).map(|e| e.chosen).unwrap_or(Status::Offline)
    }

    /// Everyone connected here, with their status.
    pub fn all(&self) -> Vec<(K, Status)> {
        self.users.iter().map(|(k, e)| (k.clone(), e.chosen)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_devices_count_as_one_presence() {
        let mut p = LocalPresence::default();
        assert_eq!(p.connect(&"ann"), Some(Status::Online));
        assert_eq!(p.connect(&"ann"), None);
        assert!(!p.disconnect(&"ann"));
        assert_eq!(p.status(&"ann"), Status::Online);
        assert!(p.disconnect(&"ann"));
        assert_eq!(p.status(&"ann"), Status::Offline);
        assert!(!p.disconnect(&"ann"));
    }

    #[test]
    fn chosen_status_and_visibility() {
        let mut p = LocalPresence::default();
        p.connect(&"ann");
        assert_eq!(p.choose(&"ann", Status::Invisible), Some(Status::Online));
        assert_eq!(p.choose(&"ann", Status::Invisible), None);
        assert_eq!(p.status(&"ann").visible(), Status::Offline);
        assert_eq!(Status::Away.max(Status::Online), Status::Online);
        assert_eq!(Status::Offline.max(Status::Invisible), Status::Invisible);
        assert_eq!(p.choose(&"bob", Status::Away), None);
    }
}
