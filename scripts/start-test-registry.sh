#!/bin/sh
# Run Debian's docker-registry on 127.0.0.1:PORT with storage in DIR, in the
# foreground (Ctrl-C stops it).  With USER:PASSWORD, require Basic auth.
#   scripts/start-test-registry.sh 5000 /tmp/registry [user:pass]
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 PORT DIR [USER:PASSWORD]" >&2
    exit 2
fi
port=$1
dir=$2
mkdir -p "$dir/storage"
cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOC
if [ $# -eq 3 ]; then
    user=${3%%:*}
    pass=${3#*:}
    htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
    printf 'auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n' "$dir/htpasswd" >>"$dir/config.yml"
fi
echo "registry on 127.0.0.1:$port, storage in $dir/storage" >&2
exec docker-registry serve "$dir/config.yml"
