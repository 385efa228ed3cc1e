/* nftrules.h - the agent's port publishing as one nftables table: the text
 * of the whole table (pure, unit-tested) and applying it with one
 * `nft -f -` run, which replaces the table atomically.
 *
 * The table (`ip berth_<hash of the data dir>`) holds two maps, host port ->
 * task address . container port, for TCP and UDP; DNAT in prerouting (other
 * hosts) and output (this host, 127.0.0.1 included) for local destinations;
 * and masquerade only for packets leaving through the agent's bridge that
 * come from 127.0.0.0/8 or hairpin back into it.  Nothing touches other
 * interfaces; `nft delete table ip <name>` removes all of it.
 *
 * A second table, `inet <name>_guard`, keeps tasks off the host itself:
 * it lives as long as the bridge, whatever ports are published. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "agent/net/netpool.h"

struct nft_mapping {
    int udp; /* 0: tcp, 1: udp */
    int host_port;
    uint32_t addr; /* the container's address, host order */
    int ctr_port;
};

/* The batch that makes the table hold exactly these mappings; with none, the
 * batch deletes the table.  The caller frees; NULL when out of memory or
 * past LIMIT_NET_NFT_RULESET. */
char *nftrules_text(const char *table, const char *bridge, const struct netpool_cidr *subnet,
                    const struct nft_mapping *m, size_t n);

/* The batch that adds these mappings to (add) or deletes them from the maps
 * of an existing table.  The caller frees; NULL as for nftrules_text. */
char *nftrules_elements_text(const char *table, bool add, const struct nft_mapping *m, size_t n);

/* The batch that (re)creates the guard table `inet <table>_guard`: what
 * tasks on the bridge send to this host's own addresses (the gateway, the
 * host's other interfaces, and 127.0.0.1, which route_localnet makes
 * routable from the bridge) is refused, unless it answers a connection the
 * host opened.  Published ports still work: DNAT sends them on to a task
 * before the input hook.  Neighbour discovery stays allowed.  The caller
 * frees; NULL when out of memory.  The exceptions: dns_addr (NULL: none),
 * the agent's DNS relay, UDP port 53 on that address; endpoint_port (> 0),
 * the task endpoint's port on 169.254.170.2; and TCP to
 * NFT_SERVICE_CONNECT_NET, where the berth server's Service Connect proxy
 * listens on the client aliases' addresses. */
char *nftrules_guard_text(const char *table, const char *bridge, const char *dns_addr, int endpoint_port);

/* Service Connect's client aliases (server/ecs/service_connect.h). */
#define NFT_SERVICE_CONNECT_NET "169.254.171.0/24"

/* The task endpoint's address (ECS's credentials and metadata endpoint). */
#define NFT_ENDPOINT_ADDR "169.254.170.2"

/* The batch that (re)creates `ip <table>_endpoint`: connections to
 * 169.254.170.2:80 from the bridge (prerouting) and from this host's own
 * processes, host-network tasks included (output), are sent to the
 * agent's endpoint listening on 169.254.170.2:endpoint_port; the source
 * address is kept, so the endpoint knows which task asks.  With
 * endpoint_port > 0, nftrules_guard_text lets exactly that port through
 * the guard.  The caller frees; NULL when out of memory. */
char *nftrules_endpoint_text(const char *table, const char *bridge, int endpoint_port);
char *nftrules_endpoint_delete_text(const char *table);

/* The batch that deletes the guard table (and succeeds if there is none). */
char *nftrules_guard_delete_text(const char *table);

/* Run nft_path -f - with text on stdin. */
int nftrules_apply(const char *nft_path, const char *text, struct error *err);

/* "berth_" + 8 hex digits of a hash of the data directory. */
void nftrules_table_name(const char *data_dir, char *buf, size_t cap);
