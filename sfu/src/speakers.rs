//! Active-speaker detection from RFC 6464 audio levels, on simulated time.
//!
//! Every audio packet carries the sender's level as `-dBov` (0 = loudest,
//! 127 = silence). Levels are averaged over a short window per participant; a
//! participant whose average is louder than [`SPEAKING_LEVEL`] speaks. The
//! detector reports the loudest-first list of speakers when it changes, at most
//! once per [`REPORT_EVERY`].

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Average level (in -dBov) at or below which a participant counts as speaking.
pub const SPEAKING_LEVEL: u8 = 50;
/// The averaging window.
pub const WINDOW: Duration = Duration::from_millis(500);
/// Shortest interval between two reports.
pub const REPORT_EVERY: Duration = Duration::from_millis(300);

struct Levels {
    /// (arrival, level) within the window, oldest first.
    samples: std::collections::VecDeque<(Instant, u8)>,
    sum: u32,
}

/// Tracks audio levels of the participants of one room.
pub struct SpeakerDetector<P> {
    levels: HashMap<P, Levels>,
    reported: Vec<P>,
    last_report: Option<Instant>,
}

impl<P: Copy + Eq + Hash + Ord> Default for SpeakerDetector<P> {
    fn default() -> Self {
        Self { levels: HashMap::new(), reported: Vec::new(), last_report: None }
    }
}

impl<P: Copy + Eq + Hash + Ord> SpeakerDetector<P> {
    /// Records one packet's level (`0..=127`, values above are clamped).
    pub fn record(&mut self, now: Instant, participant: P, level: i8) {
        let level = level.unsigned_abs().min(127);
        let entry = self.levels.entry(participant).or_insert(Levels { samples: Default::default(), sum: 0 });
        entry.samples.push_back((now, level));
        entry.sum += u32::from(level);
        Self::expire(entry, now);
    }

    /// Forgets a participant (they left).
    pub fn remove(&mut self, participant: P) {
        self.levels.remove(&participant);
    }

    fn expire(entry: &mut Levels, now: Instant) {
        while let Some(&(t, l)) = entry.samples.front() {
            if now.saturating_duration_since(t) <= WINDOW {
                break;
            }
            entry.samples.pop_front();
            entry.sum -= u32::from(l);
        }
    }

    /// The current speakers, loudest first, with their average level.
    pub fn speakers(&mut self, now: Instant) -> Vec<(P, u8)> {
        let mut out = Vec::new();
        for (p, entry) in &mut self.levels {
            Self::expire(entry, now);
            if entry.samples.is_empty() {
                continue;
            }
            let avg = (entry.sum / entry.samples.len() as u32) as u8;
            if avg <= SPEAKING_LEVEL {
                out.push((*p, avg));
            }
        }
        out.sort_by_key(|(p, level)| (*level, *p));
        out
    }

    /// The speakers if the set (or its order) changed since the last report and
    /// the last report is at least [`REPORT_EVERY`] old.
    pub fn poll(&mut self, now: Instant) -> Option<Vec<(P, u8)>> {
        if self.last_report.is_some_and(|t| now.saturating_duration_since(t) < REPORT_EVERY) {
            return None;
        }
        let speakers = self.speakers(now);
        let ids: Vec<P> = speakers.iter().map(|(p, _)| *p).collect();
        if ids == self.reported {
            return None;
        }
        self.reported = ids;
        self.last_report = Some(now);
        Some(speakers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(d: &mut SpeakerDetector<u32>, start: Instant, from_ms: u64, to_ms: u64, p: u32, level: i8) {
        for ms in (from_ms..to_ms).step_by(20) {
            d.record(start + Duration::from_millis(ms), p, level);
        }
    }

    #[test]
    fn loud_participants_speak_quiet_ones_do_not() {
        let t0 = Instant::now();
        let mut d = SpeakerDetector::default();
        feed(&mut d, t0, 0, 400, 1, 30);
        feed(&mut d, t0, 0, 400, 2, 100);
        feed(&mut d, t0, 0, 400, 3, 20);
        let now = t0 + Duration::from_millis(400);
        assert_eq!(d.poll(now), Some(vec![(3, 20), (1, 30)]), "loudest first; the quiet one is not listed");
        assert_eq!(d.poll(now + Duration::from_millis(400)), None, "no change, no report");
    }

    #[test]
    fn reports_are_rate_limited_and_silence_ends_speaking() {
        let t0 = Instant::now();
        let mut d = SpeakerDetector::default();
        feed(&mut d, t0, 0, 200, 1, 30);
        assert_eq!(d.poll(t0 + Duration::from_millis(200)), Some(vec![(1, 30)]));
        feed(&mut d, t0, 200, 300, 2, 10);
        assert_eq!(d.poll(t0 + Duration::from_millis(300)), None, "too soon after the last report");
        assert_eq!(d.poll(t0 + Duration::from_millis(500)).map(|s| s.len()), Some(2));
        // Nothing heard for longer than the window: nobody speaks.
        assert_eq!(d.poll(t0 + Duration::from_millis(2000)), Some(vec![]));
        d.remove(1);
    }
}
