#!/bin/sh
# Install the Debian packages berth needs to build, run and test.
# Idempotent: packages already present are skipped, and apt is not touched at
# all when nothing is missing.  Run as root on Debian 12.
set -eu

# chromium: the headless browser tests/integration/test_console.py drives.
# postgresql-15: tests/integration/test_store_postgres.py starts a throwaway
# server of its own (initdb in a temporary directory, unix socket only).
# libpq-dev: the PostgreSQL store's client library (berth server --store postgres://).
# python3-pytest-xdist: make integration runs the test files on several workers.
# gnuplot-nox: bench/plot.py draws the benchmark plots (skipped without it).
# podman: the task-start benchmark's podman reference (bench/podman_start.py);
# daemonless, it starts nothing when installed.
PACKAGES="
build-essential pkg-config clang clang-format libclang-rt-14-dev
libsqlite3-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev
libarchive-dev libssl-dev libmnl-dev libzstd-dev libpq-dev
python3 python3-pytest python3-pytest-xdist python3-boto3 awscli sqlite3
conmon runc crun catatonit tini
docker-registry skopeo umoci busybox-static apache2-utils zstd
iproute2 nftables procps util-linux
haproxy
chromium
postgresql-15
gnuplot-nox
podman
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# promtool checks GET /metrics in the tests.  It comes from Debian's
# prometheus package, unpacked rather than installed: installing the package
# would also start a Prometheus server on port 9090.
PROMTOOL=/usr/local/lib/berth/promtool
install_promtool() {
    [ -x "$PROMTOOL" ] && return 0
    [ "$(id -u)" = 0 ] || { echo "install-deps: promtool missing (run as root to fetch it)" >&2; return 1; }
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1); then
        apt-get update -q >/dev/null
        (cd "$tmp" && apt-get download -q prometheus >/dev/null)
    fi
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
    install -D -m 0755 "$tmp/x/usr/bin/promtool" "$PROMTOOL"
    rm -rf "$tmp"
}

if [ -z "$missing" ]; then
    install_promtool
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
install_promtool
