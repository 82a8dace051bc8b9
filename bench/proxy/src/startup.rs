//! Start-up time: from spawning a server to its first `200` response on a probe URL.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Pause between two probe attempts; it bounds how much the figure can overshoot.
const PROBE_INTERVAL: Duration = Duration::from_micros(500);

/// Placeholders in the probe URL and the command, each replaced with a free loopback port
/// chosen afresh for every run.
const PORT_PLACEHOLDERS: [&str; 4] = ["{port0}", "{port1}", "{port2}", "{port3}"];

/// Reserves `count` free ports on 127.0.0.1 at once, so they are distinct, and releases
/// them.
///
/// NOTE: another process may take a port between its release here and its use.
pub fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("failed to find a free port on 127.0.0.1: {error}"))?;
    listeners
        .iter()
        .map(|listener| listener.local_addr().map(|address| address.port()))
        .collect::<Result<_, _>>()
        .map_err(|error| format!("failed to read a bound port: {error}"))
}

/// Spawns `command` `runs` times, one at a time, and returns each run's time from spawn
/// to the first `200` from `GET probe_path` on `127.0.0.1:{port0}`.
///
/// Each run gets fresh ports for the `{portN}` placeholders in `command`, and is killed
/// once the probe gets a `200` or `time_limit` passes.
pub fn measure(
    command: &[String],
    probe_path: &str,
    runs: usize,
    time_limit: Duration,
) -> Result<Vec<Duration>, String> {
    let (program, arguments) = command.split_first().ok_or("missing command to start")?;
    let mut times = Vec::with_capacity(runs);
    for run in 1..=runs {
        let ports = free_ports(PORT_PLACEHOLDERS.len())?;
        let fill = |text: &str| fill_ports(text, &ports);
        let probe = SocketAddr::from(([127, 0, 0, 1], ports[0]));
        let start = Instant::now();
        let mut child = Command::new(fill(program))
            .args(arguments.iter().map(|argument| fill(argument)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("failed to start `{program}`: {error}"))?;
        let outcome = wait_for_probe(&mut child, probe, probe_path, start + time_limit);
        let _ = child.kill();
        let _ = child.wait();
        let elapsed = outcome.map_err(|error| format!("run {run} of {runs}: {error}"))?;
        times.push(elapsed.duration_since(start));
    }
    Ok(times)
}

fn fill_ports(text: &str, ports: &[u16]) -> String {
    PORT_PLACEHOLDERS
        .iter()
        .zip(ports)
        .fold(text.to_owned(), |text, (placeholder, port)| {
            text.replace(placeholder, &port.to_string())
        })
}

/// Probes until a `200` arrives, returning the instant it did.
fn wait_for_probe(
    child: &mut Child,
    address: SocketAddr,
    path: &str,
    deadline: Instant,
) -> Result<Instant, String> {
    loop {
        if probe_once(address, path) {
            return Ok(Instant::now());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited with {status} before answering"));
        }
        if Instant::now() >= deadline {
            return Err(format!("no 200 from http://{address}{path} in time"));
        }
        std::thread::sleep(PROBE_INTERVAL);
    }
}

/// Sends one `GET` and returns whether the status line is `200`. Any failure, such as a
/// refused connection while the server starts, counts as not yet.
fn probe_once(address: SocketAddr, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status_line = [0; 12];
    stream.read_exact(&mut status_line).is_ok() && status_line.ends_with(b" 200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_ports_replaces_each_placeholder() {
        let text = fill_ports("a={port0},b={port1},a={port0}", &[10, 11, 12, 13]);
        assert_eq!(text, "a=10,b=11,a=10");
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = free_ports(4).expect("free ports");
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 4);
    }
}
