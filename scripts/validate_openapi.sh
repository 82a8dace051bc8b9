#!/usr/bin/env bash
# Validates OpenAPI documents with openapi-spec-validator (PyPI), which must be installed
# for python3. It checks the document of every REST adapter in the naftiko-rs binary, as
# `openapi` prints it. It also checks the documents the generator writes for the feature
# fixtures and for every corpus spec that compiles.
#
#     scripts/validate_openapi.sh
#
# Exits with status 1 when a document is invalid, naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

documents=$(mktemp -d)
trap 'rm -rf "$documents"' EXIT

# `list` prints each REST adapter as "  rest NAMESPACE on http://ADDRESS".
namespaces=$(cargo run --locked -q -- list | awk '$1 == "rest" { print $2 }')
if [ -z "$namespaces" ]; then
    echo "naftiko-rs list printed no REST adapter" >&2
    exit 1
fi
mkdir "$documents/binary"
for namespace in $namespaces; do
    cargo run --locked -q -- openapi "$namespace" >"$documents/binary/$namespace.json"
done

# The corpus specs listed in expected-errors.tsv do not compile, by design.
failing=$(awk -F '\t' 'NR > 1 && $1 !~ /^#/ { print "tests/corpus/" $1 }' tests/corpus/expected-errors.tsv)
corpus=()
while IFS= read -r spec; do
    if ! grep -qxF "$spec" <<<"$failing"; then
        corpus+=("$spec")
    fi
done < <(find tests/corpus -name '*.yaml' -o -name '*.yml' | sort)

cargo build --locked -q -p naftiko-codegen
generator=$(cargo metadata --locked --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/naftiko-codegen
# The generator's warnings are not this script's concern; its errors are.
generate() {
    local out=$1
    shift
    if ! "$generator" openapi "$documents/$out" "$@" 2>"$documents/$out.log"; then
        grep -A1 ': error:' "$documents/$out.log" >&2 || cat "$documents/$out.log" >&2
        echo "naftiko-codegen openapi failed on the $out specs" >&2
        exit 1
    fi
}
generate features tests/features/specs/*.yaml
generate corpus "${corpus[@]}"

# One Python process validates every document, which is much faster than one per file.
python3 - "$documents" <<'PYTHON'
import json
import pathlib
import sys

from openapi_spec_validator import validate

invalid = 0
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.json"))
for file in files:
    try:
        validate(json.loads(file.read_text()))
    except Exception as error:  # the validator raises several error types
        invalid += 1
        print(f"invalid OpenAPI document {file.parent.name}/{file.name}: {error}", file=sys.stderr)
print(f"validated {len(files)} OpenAPI documents: {invalid} invalid")
sys.exit(1 if invalid else 0)
PYTHON
