//! Simulcast layer choice per subscriber, on simulated time.
//!
//! A publisher may send up to three layers of one video track (lowest first).
//! Each subscriber has a target layer — the largest that fits both the size it
//! asked for and its share of the bandwidth estimate — and a current layer,
//! the one it is forwarded. The current layer changes only on a keyframe of the
//! target layer, so the subscriber's decoder never sees a frame it cannot
//! decode; until then it keeps receiving the old layer. When the target differs
//! from what is being forwarded the publisher must be asked for a keyframe.

/// Heights (pixels) a subscriber's `max_height` is compared with, per layer
/// count: for three layers q/h/f ≈ 180/360/720.
fn layer_heights(layers: usize) -> &'static [u32] {
    match layers {
        0 | 1 => &[u32::MAX],
        2 => &[360, u32::MAX],
        _ => &[180, 360, u32::MAX],
    }
}

/// Picks the target layer among those `available` (flowing now): the largest
/// whose nominal height fits `max_height` and whose measured bitrate fits
/// `budget_bps`; else the lowest available one; with none available, 0.
pub fn target_layer(
    bitrates_bps: &[u64],
    available: &[bool],
    max_height: Option<u32>,
    budget_bps: Option<u64>,
) -> usize {
    let n = bitrates_bps.len().max(1);
    let heights = layer_heights(n);
    let flowing = |layer: usize| available.get(layer).copied().unwrap_or(false);
    let mut best = None;
    for layer in 0..n {
        if !flowing(layer) {
            continue;
        }
        let nominal = heights.get(layer).copied().unwrap_or(u32::MAX);
        let below = layer.checked_sub(1).and_then(|l| heights.get(l)).copied().unwrap_or(0);
        // A layer fits the asked size if the asked size is above the layer below's height.
        let fits_size = max_height.is_none_or(|h| layer == 0 || h > below || nominal <= h);
        let fits_budget = budget_bps.is_none_or(|b| bitrates_bps.get(layer).is_none_or(|&r| r == 0 || r <= b));
        if (fits_size && fits_budget) || best.is_none() {
            best = Some(layer);
        }
    }
    best.unwrap_or(0)
}

/// The forwarding state of one subscriber for one simulcast track.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerSwitch {
    current: Option<usize>,
    target: usize,
}

/// What to do with one incoming frame for one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Forward it.
    pub forward: bool,
    /// The subscriber now receives a different layer (from this frame on).
    pub switched: bool,
}

impl LayerSwitch {
    /// Sets the target; returns true if a keyframe of it is needed (the
    /// subscriber does not yet receive it).
    pub fn set_target(&mut self, target: usize) -> bool {
        self.target = target;
        self.current != Some(target)
    }

    /// The layer forwarded now, if any.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// The layer wanted.
    pub fn target(&self) -> usize {
        self.target
    }

    /// Whether a frame of `layer` is forwarded; switches to the target on its keyframe.
    pub fn on_frame(&mut self, layer: usize, keyframe: bool) -> Decision {
        let mut switched = false;
        if layer == self.target && self.current != Some(layer) && keyframe {
            self.current = Some(layer);
            switched = true;
        }
        Decision { forward: self.current == Some(layer), switched }
    }

    /// Whether a keyframe of the target is still awaited.
    pub fn waiting(&self) -> bool {
        self.current != Some(self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_budget_pick_the_layer() {
        let rates = [150_000, 500_000, 1_500_000];
        let all = [true; 3];
        assert_eq!(target_layer(&rates, &all, None, None), 2);
        assert_eq!(target_layer(&rates, &all, Some(180), None), 0);
        assert_eq!(target_layer(&rates, &all, Some(360), None), 1);
        assert_eq!(target_layer(&rates, &all, Some(720), None), 2);
        assert_eq!(target_layer(&rates, &all, None, Some(600_000)), 1, "the top layer does not fit the budget");
        assert_eq!(target_layer(&rates, &all, None, Some(10_000)), 0, "the lowest layer always fits");
        assert_eq!(target_layer(&[0], &[true], Some(100), Some(1)), 0, "one layer is always it");
        assert_eq!(target_layer(&[0, 0, 0], &all, None, Some(1)), 2, "unmeasured layers are not held back");
        // Layers that stopped flowing are never targets.
        assert_eq!(target_layer(&rates, &[true, true, false], None, None), 1, "the top layer stopped");
        assert_eq!(target_layer(&rates, &[false, true, false], Some(180), None), 1, "the only one flowing");
        assert_eq!(target_layer(&rates, &[false; 3], None, None), 0);
    }

    #[test]
    fn switches_only_on_a_keyframe_of_the_target() {
        let mut s = LayerSwitch::default();
        assert!(s.set_target(2), "nothing forwarded yet: a keyframe is needed");
        // Delta frames of every layer, then a keyframe of another layer: nothing yet.
        assert!(!s.on_frame(2, false).forward);
        assert!(!s.on_frame(0, true).forward);
        let d = s.on_frame(2, true);
        assert!(d.forward && d.switched);
        assert!(s.on_frame(2, false).forward);
        assert!(!s.on_frame(1, false).forward);

        // Step down: the old layer keeps flowing until the new one's keyframe.
        assert!(s.set_target(0));
        assert!(s.waiting());
        assert!(s.on_frame(2, false).forward);
        assert!(!s.on_frame(0, false).forward);
        let d = s.on_frame(0, true);
        assert!(d.forward && d.switched);
        assert!(!s.on_frame(2, true).forward, "the old layer stops at once");
        assert!(!s.set_target(0), "already there: no keyframe needed");
    }
}
