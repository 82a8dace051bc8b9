//! A closed-loop load run: a fixed number of keep-alive connections, each sending the next
//! request as soon as the previous response is read, until a fixed number of requests is
//! sent or the time limit passes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;

use crate::stats::Summary;
use crate::target::{self, Target};

/// Time one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How much load to send, and for how long at most.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Requests to time, spread over the connections.
    pub requests: usize,
    /// Connections open at once, each with one request in flight.
    pub connections: usize,
    /// Untimed requests sent first on the same connections.
    pub warmup: usize,
    /// Wall time after which no new request starts, warm-up included.
    pub time_limit: Duration,
}

/// The measurements of one connection's worker.
#[derive(Debug, Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

/// Sends the warm-up and then the timed requests of `plan` to `target`, returning the
/// summary of the timed ones and the first error seen, if any.
///
/// The run stops early, with fewer requests in the summary, when the time limit passes or
/// when a connection cannot be opened again after an error.
pub async fn run(target: Target, plan: Plan) -> Result<(Summary, Option<String>), String> {
    let deadline = Instant::now() + plan.time_limit;
    let mut senders = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        senders.push(target::connect(target.address).await?);
    }
    let target = Arc::new(target);
    let (senders, _) = run_phase(&target, senders, plan.warmup, deadline).await;
    let start = Instant::now();
    let (_, results) = run_phase(&target, senders, plan.requests, deadline).await;
    let elapsed = start.elapsed();

    let mut latencies = Vec::with_capacity(plan.requests);
    let mut errors = 0;
    let mut first_error = None;
    for result in results {
        latencies.extend(result.latencies);
        errors += result.errors;
        first_error = first_error.or(result.first_error);
    }
    if Instant::now() >= deadline {
        first_error.get_or_insert_with(|| {
            format!(
                "time limit of {} s passed before every request was sent",
                plan.time_limit.as_secs()
            )
        });
    }
    Ok((Summary::new(latencies, errors, elapsed), first_error))
}

/// Sends `requests` requests spread over `senders`, returning the senders still usable and
/// each worker's result.
async fn run_phase(
    target: &Arc<Target>,
    senders: Vec<SendRequest<Full<Bytes>>>,
    requests: usize,
    deadline: Instant,
) -> (Vec<SendRequest<Full<Bytes>>>, Vec<WorkerResult>) {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = senders
        .into_iter()
        .map(|sender| {
            let target = Arc::clone(target);
            let next = Arc::clone(&next);
            tokio::spawn(async move { work(&target, sender, &next, requests, deadline).await })
        })
        .collect();
    let mut senders = Vec::new();
    let mut results = Vec::new();
    for worker in workers {
        match worker.await {
            Ok((sender, result)) => {
                senders.extend(sender);
                results.push(result);
            }
            Err(error) => results.push(WorkerResult {
                errors: 1,
                first_error: Some(format!("load worker failed: {error}")),
                ..WorkerResult::default()
            }),
        }
    }
    (senders, results)
}

/// Sends requests on one connection until `requests` have been claimed by all workers or
/// `deadline` passes. Returns the connection, unless it broke and could not be reopened.
async fn work(
    target: &Target,
    mut sender: SendRequest<Full<Bytes>>,
    next: &AtomicUsize,
    requests: usize,
    deadline: Instant,
) -> (Option<SendRequest<Full<Bytes>>>, WorkerResult) {
    let mut result = WorkerResult::default();
    while next.fetch_add(1, Ordering::Relaxed) < requests && Instant::now() < deadline {
        let start = Instant::now();
        let outcome = tokio::time::timeout(REQUEST_TIMEOUT, target.send(&mut sender))
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {} s", REQUEST_TIMEOUT.as_secs())));
        match outcome {
            Ok(()) => result.latencies.push(start.elapsed()),
            Err(error) => {
                result.errors += 1;
                result.first_error.get_or_insert(error);
            }
        }
        if sender.is_closed() {
            match target::connect(target.address).await {
                Ok(reopened) => sender = reopened,
                Err(error) => {
                    result.errors += 1;
                    result.first_error.get_or_insert(error);
                    return (None, result);
                }
            }
        }
    }
    (Some(sender), result)
}
