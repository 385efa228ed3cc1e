#!/bin/sh
# Build the example images from Debian packages and push them to a registry
# (plain HTTP, e.g. the one `berth up` runs on 127.0.0.1:5000):
#
#   REGISTRY/examples/redis:7    redis-server (Debian's redis-tools, with the
#                                shared libraries it links) + busybox
#   REGISTRY/examples/webapp:1   busybox httpd serving a CGI page that counts
#                                visits in redis (REDIS_HOST, default redis)
#                                and one that says which container answered
#
# Each root file system is the binaries and exactly the shared libraries
# `ldd` says they need, copied into a directory, packed as one layer with
# GNU tar, made an OCI image with umoci and pushed with skopeo.  Packages not installed here (redis-tools, liblzf1,
# libjemalloc2) are fetched with `apt-get download` into a cache
# (BERTH_EXAMPLES_CACHE, default /var/cache/berth-examples) and unpacked with
# `dpkg -x`, never installed.  Needs root (umoci keeps file owners),
# busybox-static, umoci, skopeo.  Prints the references it pushed.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 REGISTRY_HOSTPORT" >&2
    exit 2
fi
REG=$1
CACHE=${BERTH_EXAMPLES_CACHE:-/var/cache/berth-examples}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/berth-examples-XXXXXX)
trap 'rm -rf --one-file-system "$WORK"' EXIT INT TERM
BUSYBOX=/bin/busybox

# --- Debian packages not installed on this machine ---------------------------
mkdir -p "$CACHE"
for pkg in redis-tools liblzf1 libjemalloc2; do
    if ! ls "$CACHE/${pkg}_"*.deb >/dev/null 2>&1; then
        (cd "$CACHE" && apt-get download "$pkg" >/dev/null 2>&1) || {
            echo "$0: cannot download the Debian package $pkg (apt-get download)" >&2
            exit 1
        }
    fi
    dpkg -x "$(ls "$CACHE/${pkg}_"*.deb | head -1)" "$WORK/debs"
done
DEBLIBS=$WORK/debs/usr/lib/x86_64-linux-gnu

# --- helpers -----------------------------------------------------------------
# base ROOT: busybox and its applets, /etc files, /tmp
base() {
    mkdir -p "$1/bin" "$1/etc" "$1/tmp" "$1/proc" "$1/sys" "$1/dev" "$1/data"
    chmod 1777 "$1/tmp"
    cp --sparse=never "$BUSYBOX" "$1/bin/busybox"
    for a in sh cat echo env printf nc sleep ls id wget httpd tr sed head hostname awk grep nslookup date wc rm true false; do
        ln -sf busybox "$1/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/data:/bin/sh\n' > "$1/etc/passwd"
    printf 'root:x:0:\napp:x:1000:\n' > "$1/etc/group"
}

# add_binary ROOT SRC DEST: SRC at DEST in ROOT, with every library it loads
add_binary() {
    mkdir -p "$1/$(dirname "$3")"
    cp --sparse=never "$2" "$1/$3"
    LD_LIBRARY_PATH=$DEBLIBS ldd "$2" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | while read -r lib; do
        [ -f "$lib" ] || { echo "$0: $2 needs a missing library: $lib" >&2; exit 1; }
        case $lib in
        "$DEBLIBS"/*) dest=/usr/lib/x86_64-linux-gnu/$(basename "$lib") ;;
        *) dest=$lib ;;
        esac
        mkdir -p "$1/$(dirname "$dest")"
        cp --sparse=never -L "$lib" "$1/$dest"
    done
}

# pack NAME TAG ROOT CONFIG_ARGS...: one-layer OCI image, pushed
pack() {
    name=$1 tag=$2 root=$3
    shift 3
    layout=$WORK/oci-$name
    umoci init --layout "$layout"
    umoci new --image "$layout:$tag"
    # The layer is GNU tar's (umoci compresses it): umoci 0.4.7's own tar writer (insert, repack)
    # leaves the last file of the archive cut short.
    (cd "$root" && tar --sort=name --numeric-owner -cf - -- *) > "$WORK/$name.tar"
    umoci raw add-layer --image "$layout:$tag" "$WORK/$name.tar"
    umoci config --image "$layout:$tag" --config.env PATH=/usr/local/bin:/usr/bin:/bin "$@"
    skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$tag" "docker://$REG/examples/$name:$tag"
    echo "$REG/examples/$name:$tag"
}

# --- redis -------------------------------------------------------------------
R=$WORK/redis
base "$R"
# redis-server is redis-check-rdb under another name (it looks at argv[0]).
add_binary "$R" "$WORK/debs/usr/bin/redis-check-rdb" /usr/bin/redis-server
add_binary "$R" "$WORK/debs/usr/bin/redis-cli" /usr/bin/redis-cli
chown 1000:1000 "$R/data"
pack redis 7 "$R" --config.user 1000:1000 --config.workingdir /data --config.exposedports 6379/tcp \
    --config.cmd redis-server --config.cmd --protected-mode --config.cmd no --config.cmd --save \
    --config.cmd "" --config.cmd --appendonly --config.cmd no

# --- webapp --------------------------------------------------------------------
W=$WORK/webapp
base "$W"
mkdir -p "$W/www/cgi-bin"
cp "$HERE/examples/webapp/index.html" "$W/www/index.html"
cp "$HERE/examples/webapp/hits.cgi" "$W/www/cgi-bin/hits"
cp "$HERE/examples/webapp/host.cgi" "$W/www/cgi-bin/host"
chmod 0755 "$W/www/cgi-bin/hits" "$W/www/cgi-bin/host"
pack webapp 1 "$W" --config.user 1000:1000 --config.exposedports 8080/tcp \
    --config.cmd httpd --config.cmd -f --config.cmd -v --config.cmd -p --config.cmd 8080 --config.cmd -h --config.cmd /www
