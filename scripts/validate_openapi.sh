#!/usr/bin/env bash
# Validates the OpenAPI document of every REST adapter in the naftiko-rs binary with
# openapi-spec-validator (PyPI), which must be installed for python3.
#
#     scripts/validate_openapi.sh
#
# Exits with status 1 when a document is invalid, naming the adapter.
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

for namespace in $namespaces; do
    cargo run --locked -q -- openapi "$namespace" >"$documents/$namespace.json"
done

status=0
for namespace in $namespaces; do
    if ! python3 -m openapi_spec_validator --schema 3.1 "$documents/$namespace.json"; then
        echo "invalid OpenAPI document of REST adapter $namespace" >&2
        status=1
    fi
done
exit "$status"
