/* etcfiles.h - write the /etc/hosts, /etc/resolv.conf and /etc/hostname a
 * container gets bind-mounted, from ECS dnsServers, dnsSearchDomains,
 * extraHosts and hostname. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct etcfiles_host {
    const char *hostname;
    const char *ip;
};

struct etcfiles_opts {
    const char *hostname;           /* NULL: none in hosts/hostname */
    const char *own_ip;             /* the container's address: hostname maps to it */
    const char *const *dns_servers; /* none: copy the host's resolv.conf */
    size_t n_dns_servers;
    const char *const *search_domains;
    size_t n_search_domains;
    const struct etcfiles_host *extra_hosts;
    size_t n_extra_hosts;
    const char *host_resolv_conf; /* NULL: /etc/resolv.conf */
    /* host network mode: the host's hosts file (plus extraHosts), its
     * resolv.conf with loopback nameservers kept (they work there) and its
     * hostname, as Docker gives a --net=host container. */
    bool host_network;
    const char *host_hosts; /* NULL: /etc/hosts */
};

/* Write dir/hosts, dir/resolv.conf and dir/hostname. */
int etcfiles_write(const char *dir, const struct etcfiles_opts *o, struct error *err);

/* The text of each file (for tests and callers that place them elsewhere);
 * the caller frees. */
char *etcfiles_hosts_text(const struct etcfiles_opts *o);
int etcfiles_resolv_text(const struct etcfiles_opts *o, char **ret, struct error *err);
