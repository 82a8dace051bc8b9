#!/usr/bin/env bash
# Measures how builds scale with the number of specs: for 1, 10 and 100 corpus specs
# in specs/, the codegen time, the `cargo build --release` time with dependencies
# already built (the first run also times a build from an empty target folder), the
# rebuild after touching one spec, and the binary size.
#
# Specs are taken from tests/corpus in name order among those that compile and import
# nothing; past the end of that list they repeat under new file names. Each copy gets
# its own ports, since specs that share a port must not declare the same routes.
# Usage: bench/many-specs.sh [COUNTS...]   (default: 1 10 100)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
counts=("${@:-1 10 100}")
read -r -a counts <<< "${counts[*]}"

elapsed() { awk -v start="$1" -v end="$(date +%s.%N)" 'BEGIN { printf "%.2f", end - start }'; }

cargo build --release -q -p naftiko-codegen
check="$root/target/release/naftiko-codegen"
mapfile -t candidates < <(
    find tests/corpus -name '*.y*ml' | sort | while read -r spec; do
        grep -q 'import:' "$spec" && continue
        "$check" check "$spec" >/dev/null 2>&1 && echo "$spec"
    done
)
echo "machine: $(nproc) cores, $(rustc --version); ${#candidates[@]} candidate specs"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git archive HEAD | tar -x -C "$work" && rm -rf "$work/specs"
export CARGO_TARGET_DIR="$work/target"

first=1
for count in "${counts[@]}"; do
    rm -rf "$work/specs" && mkdir -p "$work/specs"
    for ((i = 0; i < count; i++)); do
        spec=${candidates[$((i % ${#candidates[@]}))]}
        copy="$work/specs/s$(printf '%03d' "$i")-$(basename "$spec")"
        # Ports 20000 + 10 * i onwards, one per adapter of the copy.
        awk -v base=$((20000 + 10 * i)) '/^ *port: *[0-9]+/ { sub(/[0-9]+/, base + n++) } { print }' "$spec" > "$copy"
    done

    start=$(date +%s.%N)
    "$check" check "$work"/specs/* >/dev/null 2>&1 || true
    codegen=$(elapsed "$start")

    cd "$work"
    label="dependencies built"
    if [ "$first" = 1 ]; then label="empty target folder"; first=0; fi
    start=$(date +%s.%N)
    cargo build --release -q 2>>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
    build=$(elapsed "$start")
    size=$(stat -c %s target/release/naftiko-rs 2>/dev/null || stat -c %s "$CARGO_TARGET_DIR/release/naftiko-rs")
    touch "$(ls specs/* | head -1)"
    start=$(date +%s.%N)
    cargo build --release -q 2>>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
    rebuild=$(elapsed "$start")
    cd "$root"

    echo "$count specs: codegen ${codegen} s; build (${label}) ${build} s; rebuild after touching one spec ${rebuild} s; binary ${size} bytes"
done
