//! Process-wide metrics of served requests and upstream calls, rendered in the Prometheus
//! text exposition format 0.0.4.
//!
//! Each series belongs to one static descriptor name (an operation, a tool or a consumed
//! operation), so the number of series is fixed by the compiled specs. A series is created
//! on first use and never freed. Recording takes a read lock on the registry and updates
//! atomics, so it allocates nothing once the series exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::descriptor::{
    Call, Capability, McpAdapter, McpTool, RestAdapter, RestOperation, StepKind, UpstreamOperation,
};

/// The upper bounds of the latency histogram buckets, in seconds, as the `le` label
/// writes them. The `+Inf` bucket follows.
pub const LATENCY_BUCKETS: [&str; 11] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
];

/// [`LATENCY_BUCKETS`] in nanoseconds.
const BUCKET_NANOS: [u64; 11] = [
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

/// The `status` label values, indexed by [`Outcome::slot`].
const OUTCOME_LABELS: [&str; 7] = ["1xx", "2xx", "3xx", "4xx", "5xx", "ok", "error"];

/// The slots of [`OUTCOME_LABELS`] that count as errors: `4xx`, `5xx` and `error`.
const ERROR_SLOTS: [usize; 3] = [3, 4, 6];

/// The kind of adapter that served a request, the `adapter_type` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdapterType {
    /// A REST operation.
    Rest,
    /// An MCP tool call.
    Mcp,
}

impl AdapterType {
    fn label(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Mcp => "mcp",
        }
    }
}

/// The end of a request or upstream call, the `status` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP response with this status, counted by class (`2xx`, `4xx`, ...).
    Status(u16),
    /// An MCP tool result without `isError`.
    Ok,
    /// An MCP tool result with `isError: true`, or an upstream call that got no usable
    /// response (unreachable, timed out or unreadable).
    Error,
}

impl Outcome {
    /// Returns the index of the outcome in [`OUTCOME_LABELS`]. A status below 200 counts
    /// as `1xx` and one above 599 as `5xx`.
    fn slot(self) -> usize {
        match self {
            Self::Status(status) => usize::from(status / 100).clamp(1, 5) - 1,
            Self::Ok => 5,
            Self::Error => 6,
        }
    }
}

/// The identity of a series, ordered so rendering is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SeriesKey {
    /// A REST operation or MCP tool.
    Request(RequestKey),
    /// A consumed operation: consumes namespace, resource, operation name.
    Upstream(&'static str, &'static str, &'static str),
}

/// The labels of a REST operation or MCP tool series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RequestKey {
    adapter_type: AdapterType,
    /// The expose namespace.
    namespace: &'static str,
    /// The operation or tool name.
    operation: &'static str,
    /// The HTTP method of a REST operation, since operation names are only unique per
    /// resource; empty for a tool.
    method: &'static str,
    /// The route of a REST operation; empty for a tool.
    route: &'static str,
}

impl RequestKey {
    fn rest(adapter: &'static RestAdapter, operation: &'static RestOperation) -> SeriesKey {
        SeriesKey::Request(Self {
            adapter_type: AdapterType::Rest,
            namespace: adapter.namespace,
            operation: operation.name,
            method: operation.method.as_str(),
            route: operation.route,
        })
    }

    fn tool(adapter: &'static McpAdapter, tool: &'static McpTool) -> SeriesKey {
        SeriesKey::Request(Self {
            adapter_type: AdapterType::Mcp,
            namespace: adapter.namespace,
            operation: tool.name,
            method: "",
            route: "",
        })
    }

    /// Returns the labels; a tool has no `method` and `route` labels.
    fn labels(&self) -> String {
        let mut pairs = vec![
            ("adapter_type", self.adapter_type.label()),
            ("namespace", self.namespace),
            ("operation", self.operation),
        ];
        if self.adapter_type == AdapterType::Rest {
            pairs.push(("method", self.method));
            pairs.push(("route", self.route));
        }
        labels(&pairs)
    }
}

/// The counters and latency histogram of one series.
#[derive(Default)]
struct Series {
    /// Counts by outcome, indexed like [`OUTCOME_LABELS`].
    outcomes: [AtomicU64; 7],
    /// Counts per latency bucket, not cumulative; the last one is `+Inf`.
    buckets: [AtomicU64; 12],
    /// The sum of all latencies, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Series {
    fn record(&self, outcome: Outcome, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BUCKET_NANOS
            .iter()
            .position(|bound| nanos <= *bound)
            .unwrap_or(BUCKET_NANOS.len());
        self.outcomes[outcome.slot()].fetch_add(1, Ordering::Relaxed);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Every series of the process. Entries are leaked, so lookups hand out `'static` references.
static REGISTRY: OnceLock<RwLock<BTreeMap<SeriesKey, &'static Series>>> = OnceLock::new();

/// The time the metrics registry was first used: at the latest when the first server starts.
static STARTED: OnceLock<Instant> = OnceLock::new();

fn registry() -> &'static RwLock<BTreeMap<SeriesKey, &'static Series>> {
    REGISTRY.get_or_init(|| RwLock::new(BTreeMap::new()))
}

/// Returns the series of `key`, creating it on first use.
fn series(key: SeriesKey) -> &'static Series {
    let found = registry()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .copied();
    if let Some(series) = found {
        return series;
    }
    let mut map = registry().write().unwrap_or_else(PoisonError::into_inner);
    map.entry(key).or_insert_with(|| Box::leak(Box::default()))
}

/// Returns the time since the process started serving (since [`register`] was first
/// called), or since the first measurement when nothing was registered.
pub fn uptime() -> Duration {
    STARTED.get_or_init(Instant::now).elapsed()
}

/// Creates the series of every operation, tool and called consumed operation of
/// `capability`, so a scrape shows them with zero counts before the first request.
pub fn register(capability: &'static Capability) {
    STARTED.get_or_init(Instant::now);
    for adapter in capability.rest {
        for operation in adapter.operations {
            series(RequestKey::rest(adapter, operation));
            register_calls(operation.call.as_ref(), operation.steps);
        }
    }
    for adapter in capability.mcp {
        for tool in adapter.tools {
            series(RequestKey::tool(adapter, tool));
            register_calls(tool.call.as_ref(), tool.steps);
        }
    }
}

fn register_calls(call: Option<&Call>, steps: Option<&'static crate::descriptor::Orchestration>) {
    if let Some(call) = call {
        series(upstream_key(call.operation));
    }
    for step in steps.map_or(&[][..], |orchestration| orchestration.steps) {
        if let StepKind::Call { call, .. } = &step.kind {
            series(upstream_key(call.operation));
        }
    }
}

fn upstream_key(operation: &'static UpstreamOperation) -> SeriesKey {
    SeriesKey::Upstream(operation.api.namespace, operation.resource, operation.name)
}

/// Records one request served by a REST operation, with the response status and the time
/// since `started`.
pub fn record_rest(
    adapter: &'static RestAdapter,
    operation: &'static RestOperation,
    status: u16,
    started: Instant,
) {
    series(RequestKey::rest(adapter, operation)).record(Outcome::Status(status), started.elapsed());
}

/// Records one call of an MCP tool, with whether its result is an error and the time since
/// `started`.
pub fn record_tool_call(
    adapter: &'static McpAdapter,
    tool: &'static McpTool,
    is_error: bool,
    started: Instant,
) {
    let outcome = if is_error {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    series(RequestKey::tool(adapter, tool)).record(outcome, started.elapsed());
}

/// Records one call of a consumed operation: the upstream status, or `None` when no usable
/// response came back, and the time since `started`.
pub fn record_upstream(
    operation: &'static UpstreamOperation,
    status: Option<u16>,
    started: Instant,
) {
    let outcome = status.map_or(Outcome::Error, Outcome::Status);
    series(upstream_key(operation)).record(outcome, started.elapsed());
}

/// Renders every series in the Prometheus text exposition format 0.0.4.
pub fn render() -> String {
    // Copy the references out so the lock is not held while formatting.
    let all: Vec<(SeriesKey, &'static Series)> = registry()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(key, series)| (*key, *series))
        .collect();
    let requests: Vec<(String, &Series)> = all
        .iter()
        .filter_map(|(key, series)| match key {
            SeriesKey::Request(key) => Some((key.labels(), *series)),
            SeriesKey::Upstream(..) => None,
        })
        .collect();
    let upstream: Vec<(String, &Series)> = all
        .iter()
        .filter_map(|(key, series)| match key {
            SeriesKey::Upstream(namespace, resource, operation) => Some((
                labels(&[
                    ("namespace", namespace),
                    ("resource", resource),
                    ("operation", operation),
                ]),
                *series,
            )),
            SeriesKey::Request(..) => None,
        })
        .collect();

    let mut out = String::new();
    write_header(
        &mut out,
        "naftiko_build_info",
        "gauge",
        "The naftiko-runtime version, as a label of a constant 1.",
    );
    let version = labels(&[("version", env!("CARGO_PKG_VERSION"))]);
    let _ = writeln!(out, "naftiko_build_info{{{version}}} 1");
    write_header(
        &mut out,
        "naftiko_uptime_seconds",
        "gauge",
        "Seconds since the process started serving.",
    );
    let _ = writeln!(out, "naftiko_uptime_seconds {}", uptime().as_secs_f64());

    write_counter(
        &mut out,
        "naftiko_request_total",
        "Requests to REST operations and MCP tool calls, by response status class or tool result (ok, error).",
        &requests,
        &[0, 1, 2, 3, 4, 5, 6],
    );
    write_counter(
        &mut out,
        "naftiko_request_errors_total",
        "Requests answered with a 4xx or 5xx status, and MCP tool results with isError.",
        &requests,
        &ERROR_SLOTS,
    );
    write_histogram(
        &mut out,
        "naftiko_request_duration_seconds",
        "Time to serve a request to a REST operation or an MCP tool call, in seconds.",
        &requests,
    );
    write_counter(
        &mut out,
        "naftiko_http_client_total",
        "Calls of consumed operations, by upstream status class, or error when no usable response came back.",
        &upstream,
        &[0, 1, 2, 3, 4, 6],
    );
    write_histogram(
        &mut out,
        "naftiko_http_client_duration_seconds",
        "Time of a call of a consumed operation until its whole response was read, in seconds.",
        &upstream,
    );
    out
}

fn write_header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one counter family with a sample per series and non-zero outcome among `slots`.
fn write_counter(
    out: &mut String,
    name: &str,
    help: &str,
    series: &[(String, &Series)],
    slots: &[usize],
) {
    write_header(out, name, "counter", help);
    for (labels, series) in series {
        for &slot in slots {
            let count = series.outcomes[slot].load(Ordering::Relaxed);
            if count > 0 {
                let status = OUTCOME_LABELS[slot];
                let _ = writeln!(out, "{name}{{{labels},status=\"{status}\"}} {count}");
            }
        }
    }
}

/// Writes one histogram family: cumulative `_bucket` samples, `_sum` and `_count` per series.
fn write_histogram(out: &mut String, name: &str, help: &str, series: &[(String, &Series)]) {
    write_header(out, name, "histogram", help);
    for (labels, series) in series {
        let mut cumulative = 0;
        for (index, bucket) in series.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let bound = LATENCY_BUCKETS.get(index).copied().unwrap_or("+Inf");
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        // Adding nanoseconds as integers keeps the sum exact; it is converted only here.
        let sum = Duration::from_nanos(series.sum_nanos.load(Ordering::Relaxed)).as_secs_f64();
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        // The count is the `+Inf` bucket, so the two agree even during a concurrent update.
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// Returns `name="value",...` with each value escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape_label_value(value));
        out.push('"');
    }
    out
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out
}

/// Escapes `# HELP` text: backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_slots_by_status_class() {
        assert_eq!(OUTCOME_LABELS[Outcome::Status(204).slot()], "2xx");
        assert_eq!(OUTCOME_LABELS[Outcome::Status(404).slot()], "4xx");
        assert_eq!(OUTCOME_LABELS[Outcome::Status(599).slot()], "5xx");
        assert_eq!(OUTCOME_LABELS[Outcome::Status(42).slot()], "1xx");
        assert_eq!(OUTCOME_LABELS[Outcome::Status(999).slot()], "5xx");
        assert_eq!(OUTCOME_LABELS[Outcome::Ok.slot()], "ok");
        assert_eq!(OUTCOME_LABELS[Outcome::Error.slot()], "error");
    }

    #[test]
    fn label_values_escaped() {
        assert_eq!(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn histogram_buckets_inclusive_and_cumulative() {
        let series = Series::default();
        series.record(Outcome::Ok, Duration::from_millis(5));
        series.record(Outcome::Ok, Duration::from_millis(6));
        series.record(Outcome::Ok, Duration::from_secs(60));
        let mut out = String::new();
        write_histogram(&mut out, "h", "help", &[("a=\"1\"".to_owned(), &series)]);
        assert!(out.contains("h_bucket{a=\"1\",le=\"0.005\"} 1\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"1\",le=\"0.01\"} 2\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"1\",le=\"10\"} 2\n"), "{out}");
        assert!(out.contains("h_bucket{a=\"1\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("h_sum{a=\"1\"} 60.011\n"), "{out}");
        assert!(out.contains("h_count{a=\"1\"} 3\n"), "{out}");
    }
}
