//! `proxy-bench`: the load generator, fake upstream and start-up timer behind
//! `bench/proxy.sh`. Every address it connects to or binds is a loopback address.

mod load;
mod startup;
mod stats;
mod target;
mod upstream;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// Measures proxy overhead, start-up time and throughput on loopback.
#[derive(Debug, Parser)]
#[command(name = "proxy-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the fake upstream: every request with a bearer token gets the same JSON token
    /// list. Prints `listening on http://ADDRESS` to stdout.
    Upstream {
        /// Address to bind; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
    /// Send a fixed number of requests over a fixed number of keep-alive connections and
    /// print one line: `requests= errors= seconds= rps= p50_us= p90_us= p99_us= max_us=`.
    /// Exits with status 1 when any request failed.
    Load {
        /// URL to request; its host must be a loopback IP address such as 127.0.0.1.
        url: String,
        /// Requests to time.
        #[arg(long, default_value_t = 10_000)]
        requests: usize,
        /// Connections open at once, each with one request in flight.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
        connections: u16,
        /// Untimed requests sent first on the same connections.
        #[arg(long, default_value_t = 500)]
        warmup: usize,
        /// Seconds after which no new request starts, warm-up included.
        #[arg(long, default_value_t = 60)]
        time_limit: u64,
        /// HTTP method.
        #[arg(long, default_value = "GET")]
        method: String,
        /// Request header as `Name: value`. Repeatable.
        #[arg(long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// Request body.
        #[arg(long)]
        body: Option<String>,
        /// Text every response body must contain, besides a 2xx status.
        #[arg(long)]
        expect: Option<String>,
    },
    /// Start COMMAND several times and print the time from spawn to the first 200 on
    /// `http://127.0.0.1:{port0}PROBE_PATH`: `runs= median_ms= min_ms= max_ms=`.
    /// `{port0}` to `{port3}` in COMMAND are replaced with free ports, fresh for each run.
    Startup {
        /// Path probed on `127.0.0.1:{port0}`.
        #[arg(long, default_value = "/health/live")]
        probe_path: String,
        /// Times to start the command.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..))]
        runs: u16,
        /// Seconds one run may take to get a 200 from the probe.
        #[arg(long, default_value_t = 20)]
        time_limit: u64,
        /// The server command and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Print COUNT distinct free ports on 127.0.0.1, separated by spaces.
    FreePorts {
        /// Ports to print.
        #[arg(default_value_t = 1)]
        count: usize,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Upstream { listen } => block_on(upstream::serve(listen)),
        Command::Load {
            url,
            requests,
            connections,
            warmup,
            time_limit,
            method,
            headers,
            body,
            expect,
        } => target::Target::parse(&url, &method, &headers, body, expect).and_then(|target| {
            let plan = load::Plan {
                requests,
                connections: usize::from(connections),
                warmup,
                time_limit: Duration::from_secs(time_limit),
            };
            block_on(run_load(target, plan))
        }),
        Command::Startup {
            probe_path,
            runs,
            time_limit,
            command,
        } => run_startup(&command, &probe_path, usize::from(runs), time_limit),
        Command::FreePorts { count } => startup::free_ports(count).map(|ports| {
            let ports: Vec<_> = ports.iter().map(u16::to_string).collect();
            println!("{}", ports.join(" "));
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `future` on a single-threaded runtime, so the load generator and the fake upstream
/// each take at most one core from the servers under test.
fn block_on(future: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("failed to start the Tokio runtime: {error}"))?
        .block_on(future)
}

async fn run_load(target: target::Target, plan: load::Plan) -> Result<(), String> {
    let (summary, first_error) = load::run(target, plan).await?;
    println!("{}", summary.to_line());
    match first_error {
        Some(error) => Err(format!(
            "{error} ({} of {} timed requests failed)",
            summary.errors, summary.requests
        )),
        None => Ok(()),
    }
}

fn run_startup(
    command: &[String],
    probe_path: &str,
    runs: usize,
    time_limit: u64,
) -> Result<(), String> {
    let mut times = startup::measure(command, probe_path, runs, Duration::from_secs(time_limit))?;
    times.sort_unstable();
    let millis = |time: Option<&Duration>| time.map_or(0.0, |time| time.as_secs_f64() * 1000.0);
    println!(
        "runs={} median_ms={:.1} min_ms={:.1} max_ms={:.1}",
        times.len(),
        millis(times.get(times.len() / 2)),
        millis(times.first()),
        millis(times.last()),
    );
    Ok(())
}
