#!/usr/bin/env bash
# Measures how the generator and the build scale with spec size:
#   1. codegen time for every spec in tests/corpus (parse, resolve, emit; release build);
#   2. `cargo build --release` time and binary size with only the largest corpus spec
#      in specs/, from an empty target folder and then after touching that spec.
# Usage: bench/build-times.sh [SPEC]   (default: the largest corpus spec)
# It builds in a temporary copy of the repository, so the working tree is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Prints the seconds since START (a `date +%s.%N` value).
elapsed() { awk -v start="$1" -v end="$(date +%s.%N)" 'BEGIN { printf "%.2f", end - start }'; }

spec=${1:-$(find tests/corpus -name '*.y*ml' -printf '%s %p\n' | sort -rn | head -1 | cut -d' ' -f2-)}
echo "machine: $(nproc) cores, $(rustc --version)"

cargo build --release -q -p naftiko-codegen
mapfile -d '' corpus < <(find tests/corpus -name '*.y*ml' -print0 | sort -z)
start=$(date +%s.%N)
"$root/target/release/naftiko-codegen" check "${corpus[@]}" >/dev/null 2>&1 || true
echo "codegen, whole corpus (${#corpus[@]} files): $(elapsed "$start") s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git archive HEAD | tar -x -C "$work" && rm -rf "$work/specs"
mkdir -p "$work/specs"
cp "$spec" "$work/specs/"
echo "spec: $spec ($(du -h "$spec" | cut -f1))"

cd "$work"
start=$(date +%s.%N)
cargo build --release -q 2>/dev/null
echo "cargo build --release, empty target folder: $(elapsed "$start") s"
printf 'binary size: %s bytes\n' "$(stat -c %s target/release/naftiko-rs)"

touch specs/*
start=$(date +%s.%N)
cargo build --release -q 2>/dev/null
echo "cargo build --release after touching the spec: $(elapsed "$start") s"
