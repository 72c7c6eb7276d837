//! [`Clock`]: the server's idea of now, for the rules that wait (emergency access opens a
//! set time after it is requested). Real time in production; a test moves it forward to see
//! what happens after a waiting period without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to real time: always 0 outside tests.
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves this clock, and every server sharing it, forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_moves_forward_for_all_its_clones() {
        let clock = Clock::default();
        let shared = clock.clone();
        let before = shared.now();
        clock.advance(Duration::days(2));
        let gap = shared.now() - before;
        assert!(gap >= Duration::days(2) && gap < Duration::days(2) + Duration::minutes(1));
    }
}
