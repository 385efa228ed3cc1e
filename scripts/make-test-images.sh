#!/bin/sh
# Build the test images (busybox:1, :layers, :multiarch, :config) offline from
# Debian's busybox-static and push them to a registry on REGISTRY_HOSTPORT
# (plain HTTP, e.g. one started by scripts/start-test-registry.sh).
# Reproducible and idempotent; prints the references it pushed.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 REGISTRY_HOSTPORT" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
exec /usr/bin/python3 tests/integration/testimages.py "$1"
