//! What each segment uses of its host: CPU and memory, read through the host's libvirt
//! from the cgroups it made for the segment (every process of the segment, its dockerd and
//! containers included), sampled while the cluster's model runs and kept for the last 15
//! minutes.

use std::collections::VecDeque;
use std::time::Duration;

/// How often the segments are sampled.
pub(super) const PERIOD: Duration = Duration::from_secs(10);

/// How many samples are kept: 15 minutes.
const KEPT: usize = 90;

/// One sample of a segment's use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds.
    pub at: i64,
    /// CPU over the period before, in thousandths of one CPU (1500: one and a half).
    pub millicpu: u32,
    /// Memory in use, in bytes.
    pub memory: u64,
}

/// A segment's recent samples, oldest first, and the counter the next one is measured
/// against.
#[derive(Clone, Debug, Default)]
pub(super) struct History {
    samples: VecDeque<Sample>,
    last: Option<(i64, u64)>,
}

impl History {
    /// Adds a reading: `at` in Unix milliseconds, `cpu_ns` the cgroup's CPU counter.
    pub(super) fn add(&mut self, at_ms: i64, cpu_ns: u64, memory: u64) {
        if let Some((then_ms, then_ns)) = self.last {
            let elapsed_ms = (at_ms - then_ms).max(1) as u64;
            // ns / ms = millionths; over 1000 to get thousandths of a CPU.
            let millicpu = cpu_ns.saturating_sub(then_ns) / elapsed_ms / 1000;
            self.samples.push_back(Sample { at: at_ms / 1000, millicpu: millicpu as u32, memory });
            while self.samples.len() > KEPT {
                self.samples.pop_front();
            }
        }
        self.last = Some((at_ms, cpu_ns));
    }

    pub(super) fn samples(&self) -> Vec<Sample> {
        self.samples.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_the_counter_over_the_time_between_readings_and_15_minutes_are_kept() {
        let mut history = History::default();
        history.add(0, 0, 10);
        assert!(history.samples().is_empty(), "the first reading only starts the count");
        // 15 s of CPU time in 10 s: one and a half CPUs.
        history.add(10_000, 15_000_000_000, 20);
        assert_eq!(history.samples(), vec![Sample { at: 10, millicpu: 1500, memory: 20 }]);
        for i in 2..200 {
            history.add(i * 10_000, 15_000_000_000, 20);
        }
        assert_eq!(history.samples().len(), 90);
        assert_eq!(history.samples()[89].millicpu, 0);
    }
}
