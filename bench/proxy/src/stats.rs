//! Latency percentiles and throughput of one load run.

use std::time::Duration;

/// The outcome of one load run: request counts, wall time and latency percentiles of the
/// requests that succeeded.
#[derive(Debug)]
pub struct Summary {
    /// Requests that got a response, successful or not.
    pub requests: usize,
    /// Requests that failed: a transport error, a timeout, or a response the check rejected.
    pub errors: usize,
    /// Wall time from the first request to the last response.
    pub elapsed: Duration,
    /// Latencies of the successful requests, sorted in ascending order.
    latencies: Vec<Duration>,
}

impl Summary {
    /// Creates the summary of a run from the latency of each successful request.
    pub fn new(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        Self {
            requests: latencies.len() + errors,
            errors,
            elapsed,
            latencies,
        }
    }

    /// Returns the successful requests per second of wall time.
    pub fn requests_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.latencies.len() as f64 / seconds
        } else {
            0.0
        }
    }

    /// Returns the nearest-rank percentile `percent` (0 to 100) of the latencies, or zero
    /// when no request succeeded.
    pub fn percentile(&self, percent: f64) -> Duration {
        let count = self.latencies.len();
        if count == 0 {
            return Duration::ZERO;
        }
        let rank = (percent / 100.0 * count as f64).ceil() as usize;
        self.latencies[rank.clamp(1, count) - 1]
    }

    /// Formats the summary as one line of `key=value` pairs, latencies in microseconds, for
    /// `bench/proxy.sh` to parse.
    pub fn to_line(&self) -> String {
        let micros = |percent: f64| self.percentile(percent).as_micros();
        format!(
            "requests={} errors={} seconds={:.3} rps={:.0} p50_us={} p90_us={} p99_us={} max_us={}",
            self.requests,
            self.errors,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            micros(50.0),
            micros(90.0),
            micros(99.0),
            micros(100.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values
            .iter()
            .map(|&value| Duration::from_millis(value))
            .collect()
    }

    #[test]
    fn percentile_uses_nearest_rank() {
        let summary = Summary::new(millis(&[5, 1, 4, 2, 3, 10, 9, 8, 7, 6]), 0, Duration::ZERO);
        assert_eq!(summary.percentile(50.0), Duration::from_millis(5));
        assert_eq!(summary.percentile(90.0), Duration::from_millis(9));
        assert_eq!(summary.percentile(99.0), Duration::from_millis(10));
        assert_eq!(summary.percentile(0.0), Duration::from_millis(1));
    }

    #[test]
    fn percentile_of_no_requests_is_zero() {
        let summary = Summary::new(Vec::new(), 3, Duration::from_secs(1));
        assert_eq!(summary.percentile(50.0), Duration::ZERO);
        assert_eq!(summary.requests, 3);
        assert_eq!(summary.requests_per_second(), 0.0);
    }

    #[test]
    fn throughput_counts_successes_only() {
        let summary = Summary::new(millis(&[1, 1, 1, 1]), 4, Duration::from_secs(2));
        assert_eq!(summary.requests, 8);
        assert_eq!(summary.requests_per_second(), 2.0);
    }
}
