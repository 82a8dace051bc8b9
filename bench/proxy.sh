#!/usr/bin/env bash
# Measures naftiko-rs as a proxy on loopback, with the release binary serving every spec
# in specs/ and every consumed API pointed at a fake upstream on 127.0.0.1:
#   1. overhead: latency (p50, p90, p99) and throughput of
#      GET /v1/v2/orgs/acme/access-tokens through the REST adapter, against calling the
#      fake upstream directly and a hand-written hyper proxy
#      (bench/proxy/src/bin/reference_proxy.rs), with 1 connection and with $CONNECTIONS;
#   2. latency of one MCP tools/call (list-access-tokens) round trip, 1 connection;
#   3. start-up: time from spawn to the first 200 on /health/live, median of $RUNS runs;
#   4. memory: VmRSS when idle after start, VmRSS and VmHWM after the load runs.
# Usage: bench/proxy.sh
#   REQUESTS (default 20000), CONNECTIONS (16), MCP_REQUESTS (2000) and RUNS (7) set
#   the sizes; RUST_LOG (default info) sets naftiko-rs logging, which goes to a file.
# Every server it starts listens on 127.0.0.1 and is killed on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

requests=${REQUESTS:-20000}
connections=${CONNECTIONS:-16}
mcp_requests=${MCP_REQUESTS:-2000}
runs=${RUNS:-7}
# Seconds after which a load run starts no new request and reports the ones done.
time_limit=120
export DOCKER_HUB_API_KEY=bench-dummy-key
export RUST_LOG=${RUST_LOG:-info}

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building release binaries" >&2
cargo build --release --locked -q -p naftiko-rs -p naftiko-proxy-bench
target_dir=$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
naftiko="$target_dir/release/naftiko-rs"
bench="$target_dir/release/proxy-bench"
reference="$target_dir/release/reference-proxy"

# Starts a server in the background, its output in $work/NAME.out and .err, and waits
# until it prints `listening on http://ADDRESS` to stdout. Sets $started_pid and
# $started_address. Call it directly, not in $(...), so that cleanup can kill the PID.
start_listening() {
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    started_pid=$!
    pids+=("$started_pid")
    for _ in $(seq 100); do
        started_address=$(sed -n 's|^listening on http://||p' "$work/$name.out" | head -1)
        [ -n "$started_address" ] && return
        sleep 0.1
    done
    echo "error: $name did not start listening within 10 s:" >&2
    cat "$work/$name.err" >&2
    return 1
}

# Prints the value of KEY from a `key=value ...` line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# Prints a /proc/PID/status field (VmRSS, VmHWM) in MB.
memory_mb() { awk -v key="$2:" '$1 == key { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# The adapters and consumed APIs of every spec, from `naftiko-rs list`.
list=$("$naftiko" list)
mapfile -t rest_namespaces < <(sed -n 's/^ *rest \([^ ]*\) .*/\1/p' <<<"$list")
mapfile -t mcp_namespaces < <(sed -n 's/^ *mcp \([^ ]*\) .*/\1/p' <<<"$list")
mapfile -t consumed_namespaces < <(sed -n 's/^ *consumes \([^ ]*\) .*/\1/p' <<<"$list")
echo "specs: ${#rest_namespaces[@]} REST adapters, ${#mcp_namespaces[@]} MCP adapters, ${#consumed_namespaces[@]} consumed APIs" >&2

start_listening upstream "$bench" upstream
upstream=$started_address
start_listening reference "$reference" --upstream "http://$upstream"
reference_pid=$started_pid
reference_address=$started_address

# Every REST adapter shares one port and every MCP adapter another, as with the
# spec's 8080 and 9090, but on free ports.
read -r rest_port mcp_port health_port < <("$bench" free-ports 3)
serve_args=(serve --health "127.0.0.1:$health_port")
for namespace in "${rest_namespaces[@]}"; do serve_args+=(--port "$namespace=$rest_port"); done
for namespace in "${mcp_namespaces[@]}"; do serve_args+=(--port "$namespace=$mcp_port"); done
for namespace in "${consumed_namespaces[@]}"; do
    serve_args+=(--base-uri "$namespace=http://$upstream")
done

"$naftiko" "${serve_args[@]}" >"$work/naftiko.out" 2>"$work/naftiko.err" &
naftiko_pid=$!
pids+=("$naftiko_pid")
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$health_port/health/ready" >/dev/null && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$health_port/health/ready" >/dev/null || {
    echo "error: naftiko-rs did not become ready within 10 s:" >&2
    cat "$work/naftiko.err" >&2
    exit 1
}
sleep 1
idle_rss=$(memory_mb "$naftiko_pid" VmRSS)
idle_reference_rss=$(memory_mb "$reference_pid" VmRSS)

route=/v2/orgs/acme/access-tokens
load() {
    "$bench" load --requests "$1" --connections "$2" --time-limit "$time_limit" "${@:3}"
}
rows=()
declare -A percentiles
# Runs one load row: LABEL CONNECTIONS URL [load options...].
measure() {
    local label=$1 connection_count=$2 url=$3 line
    echo "load: $label, $connection_count connection(s)" >&2
    line=$(load "$requests" "$connection_count" "$url" "${@:4}")
    rows+=("| $label | $connection_count | $(field requests "$line") | $(field p50_us "$line") | $(field p90_us "$line") | $(field p99_us "$line") | $(field rps "$line") |")
    percentiles["$label $connection_count"]="$(field p50_us "$line") $(field p90_us "$line") $(field p99_us "$line")"
}
for connection_count in 1 "$connections"; do
    measure "fake upstream, direct" "$connection_count" "http://$upstream$route" \
        --header "Authorization: Bearer $DOCKER_HUB_API_KEY" --expect '"results"'
    measure "hand-written hyper proxy" "$connection_count" "http://$reference_address/v1$route" --expect '"results"'
    measure "naftiko-rs REST adapter" "$connection_count" "http://127.0.0.1:$rest_port/v1$route" --expect '"results"'
done

echo "load: MCP tools/call" >&2
mcp_call='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-access-tokens","arguments":{"name":"acme"}}}'
mcp_line=$("$bench" load "http://127.0.0.1:$mcp_port/mcp/docker-hub-org-access-tokens-mcp" \
    --method POST --requests "$mcp_requests" --connections 1 --time-limit "$time_limit" \
    --header 'Content-Type: application/json' \
    --header 'Accept: application/json, text/event-stream' \
    --body "$mcp_call" --expect '"isError":false')

loaded_rss=$(memory_mb "$naftiko_pid" VmRSS)
peak_rss=$(memory_mb "$naftiko_pid" VmHWM)
loaded_reference_rss=$(memory_mb "$reference_pid" VmRSS)
peak_reference_rss=$(memory_mb "$reference_pid" VmHWM)

echo "start-up: $runs runs" >&2
startup_args=(serve --health '127.0.0.1:{port0}')
for namespace in "${rest_namespaces[@]}"; do startup_args+=(--port "$namespace={port1}"); done
for namespace in "${mcp_namespaces[@]}"; do startup_args+=(--port "$namespace={port2}"); done
for namespace in "${consumed_namespaces[@]}"; do
    startup_args+=(--base-uri "$namespace=http://$upstream")
done
startup_line=$("$bench" startup --runs "$runs" -- "$naftiko" "${startup_args[@]}")

# Prints "A - B" for each of the three percentiles in two "p50 p90 p99" strings.
difference() {
    local -a a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    echo "$((a[0] - b[0])) / $((a[1] - b[1])) / $((a[2] - b[2]))"
}

echo
echo "machine: $(nproc) cores, $(rustc --version); $requests requests per row after 500 warm-up requests"
echo
echo "| target | connections | requests | p50 µs | p90 µs | p99 µs | requests/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "| overhead over direct, p50 / p90 / p99 µs | 1 connection | $connections connections |"
echo "| --- | ---: | ---: |"
for label in "naftiko-rs REST adapter" "hand-written hyper proxy"; do
    echo "| $label | $(difference "${percentiles[$label 1]}" "${percentiles[fake upstream, direct 1]}") | $(difference "${percentiles[$label $connections]}" "${percentiles[fake upstream, direct $connections]}") |"
done
echo
echo "| measure | figure |"
echo "| --- | --- |"
echo "| MCP tools/call round trip, 1 connection, $(field requests "$mcp_line") calls | p50 $(field p50_us "$mcp_line") µs, p90 $(field p90_us "$mcp_line") µs, p99 $(field p99_us "$mcp_line") µs |"
echo "| start-up to first 200 on /health/live, $(field runs "$startup_line") runs | median $(field median_ms "$startup_line") ms (min $(field min_ms "$startup_line"), max $(field max_ms "$startup_line")) |"
echo "| naftiko-rs VmRSS idle after start | $idle_rss MB |"
echo "| naftiko-rs VmRSS / VmHWM after the load runs | $loaded_rss MB / $peak_rss MB |"
echo "| hand-written proxy VmRSS idle / after load / VmHWM | $idle_reference_rss / $loaded_reference_rss / $peak_reference_rss MB |"
