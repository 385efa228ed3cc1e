#!/bin/sh
# A CGI page for busybox httpd: counts visits in redis (INCR over its text
# protocol with busybox nc) and says which container answered.
host=${REDIS_HOST:-redis}
port=${REDIS_PORT:-6379}
reply=$(printf 'INCR hits\r\nQUIT\r\n' | nc "$host" "$port" 2>/dev/null | tr -d '\r' | sed -n 's/^://p' | head -1)
printf 'Content-Type: text/plain\r\n\r\n'
if [ -n "$reply" ]; then
    echo "hello from $(hostname): visit $reply"
else
    echo "hello from $(hostname): redis at $host:$port did not answer"
fi
