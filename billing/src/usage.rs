//! Metered quantities ([`Metric`]) and one app's usage over one month ([`MonthUsage`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A metered quantity, in base units.
///
/// Serialized in `snake_case` (`"mau"`, `"messages"`, `"peak_connections"`, ...), which is also the key used in
/// the plans file; [`Metric::as_str`] returns the same text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Monthly active users: distinct users active at least once in the month (base unit: one user).
    Mau,
    /// Chat messages sent (base unit: one message).
    Messages,
    /// Highest number of simultaneous connections during the month (base unit: one connection).
    PeakConnections,
    /// Audio call time, summed over participants (base unit: one participant-minute).
    AudioMinutes,
    /// Video call time, summed over participants (base unit: one participant-minute).
    VideoMinutes,
    /// Stored file data (base unit: one byte).
    StorageBytes,
    /// Data sent out of the service (base unit: one byte).
    EgressBytes,
}

impl Metric {
    /// Every metric, in the order used by invoices and quota reports.
    pub const ALL: [Metric; 7] = [
        Metric::Mau,
        Metric::Messages,
        Metric::PeakConnections,
        Metric::AudioMinutes,
        Metric::VideoMinutes,
        Metric::StorageBytes,
        Metric::EgressBytes,
    ];

    /// The machine name: `"mau"`, `"messages"`, `"peak_connections"`, `"audio_minutes"`, `"video_minutes"`,
    /// `"storage_bytes"` or `"egress_bytes"` (the same text as the serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Mau => "mau",
            Metric::Messages => "messages",
            Metric::PeakConnections => "peak_connections",
            Metric::AudioMinutes => "audio_minutes",
            Metric::VideoMinutes => "video_minutes",
            Metric::StorageBytes => "storage_bytes",
            Metric::EgressBytes => "egress_bytes",
        }
    }

    /// The name a person reads, e.g. `"Monthly active users"` or `"Video participant-minutes"`.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Mau => "Monthly active users",
            Metric::Messages => "Messages",
            Metric::PeakConnections => "Peak concurrent connections",
            Metric::AudioMinutes => "Audio participant-minutes",
            Metric::VideoMinutes => "Video participant-minutes",
            Metric::StorageBytes => "Storage",
            Metric::EgressBytes => "Egress",
        }
    }

    /// Whether the base unit is a byte (shown as KB, MB, GB, ... in descriptions).
    pub(crate) fn is_bytes(self) -> bool {
        matches!(self, Metric::StorageBytes | Metric::EgressBytes)
    }
}

/// Formats as [`Metric::as_str`].
impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Usage of one app over one month (what the invoice is computed from). Every field in base units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthUsage {
    /// Distinct users active in the month.
    pub mau: u64,
    /// Messages sent in the month.
    pub messages: u64,
    /// Highest number of simultaneous connections in the month.
    pub peak_connections: u64,
    /// Audio participant-minutes in the month.
    pub audio_minutes: u64,
    /// Video participant-minutes in the month.
    pub video_minutes: u64,
    /// Bytes of stored files billed for the month.
    pub storage_bytes: u64,
    /// Bytes sent out of the service in the month.
    pub egress_bytes: u64,
}

impl MonthUsage {
    /// The value of one metric.
    pub fn get(&self, m: Metric) -> u64 {
        match m {
            Metric::Mau => self.mau,
            Metric::Messages => self.messages,
            Metric::PeakConnections => self.peak_connections,
            Metric::AudioMinutes => self.audio_minutes,
            Metric::VideoMinutes => self.video_minutes,
            Metric::StorageBytes => self.storage_bytes,
            Metric::EgressBytes => self.egress_bytes,
        }
    }

    /// Sets the value of one metric.
    pub fn set(&mut self, m: Metric, value: u64) {
        let field = match m {
            Metric::Mau => &mut self.mau,
            Metric::Messages => &mut self.messages,
            Metric::PeakConnections => &mut self.peak_connections,
            Metric::AudioMinutes => &mut self.audio_minutes,
            Metric::VideoMinutes => &mut self.video_minutes,
            Metric::StorageBytes => &mut self.storage_bytes,
            Metric::EgressBytes => &mut self.egress_bytes,
        };
        *field = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for m in Metric::ALL {
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.as_str()));
            assert_eq!(m.to_string(), m.as_str());
            assert!(!m.label().is_empty());
        }
        assert_eq!(Metric::PeakConnections.as_str(), "peak_connections");
        assert_eq!(Metric::Mau.label(), "Monthly active users");
    }

    #[test]
    fn get_and_set_cover_every_field() {
        let mut usage = MonthUsage::default();
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            usage.set(m, i as u64 + 1);
        }
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(usage.get(m), i as u64 + 1);
        }
        let expected = MonthUsage {
            mau: 1,
            messages: 2,
            peak_connections: 3,
            audio_minutes: 4,
            video_minutes: 5,
            storage_bytes: 6,
            egress_bytes: 7,
        };
        assert_eq!(usage, expected);
        let json = serde_json::to_string(&usage).unwrap();
        assert_eq!(serde_json::from_str::<MonthUsage>(&json).unwrap(), usage);
    }
}
