#!/bin/sh
# A CGI page for busybox httpd: counts visits in redis (INCR over its text
# protocol with busybox nc) and says which container answered.
#   REDIS_HOST      redis's name or address (default redis: a bridge link);
#                   a dotted name (Cloud Map's DNS) is resolved with
#                   nslookup: static busybox's nc reads only /etc/hosts
#   REDIS_PORT      default 6379
#   REDIS_PASSWORD  sent with AUTH first when set (the secrets example)
#   GREETING        the page's first word (default hello)
host=${REDIS_HOST:-redis}
port=${REDIS_PORT:-6379}
addr=$host
case $host in
*[a-z]*.*)
    found=$(nslookup "$host" 2>/dev/null | awk '/^Address: /{print $2; exit}')
    [ -n "$found" ] && addr=$found
    ;;
esac
reply=$({
    [ -n "${REDIS_PASSWORD:-}" ] && printf 'AUTH %s\r\n' "$REDIS_PASSWORD"
    printf 'INCR hits\r\nQUIT\r\n'
} | nc "$addr" "$port" 2>/dev/null | tr -d '\r' | sed -n 's/^://p' | head -1)
printf 'Content-Type: text/plain\r\n\r\n'
if [ -n "$reply" ]; then
    echo "${GREETING:-hello} from $(hostname): visit $reply"
else
    echo "${GREETING:-hello} from $(hostname): redis at $host:$port did not answer"
fi
