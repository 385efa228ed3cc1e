#!/bin/sh
# A CGI page for busybox httpd: which container answered (the load balancer
# example tells its tasks apart by it).
printf 'Content-Type: text/plain\r\n\r\n'
echo "served by $(hostname)"
