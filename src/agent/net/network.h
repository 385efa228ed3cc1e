/* network.h - a task's network as ECS network modes define it, on this host:
 *
 *   none    each container in its own namespace with only `lo` (up)
 *   host    the agent's namespace; hostPort = containerPort
 *   bridge  each container in its own namespace, a veth into the agent's
 *           bridge, an address from the task subnet; portMappings published
 *           on host ports (static, or dynamic from 49153-65535) by DNAT in
 *           the agent's nftables table
 *   awsvpc  one namespace per task shared by its containers, one address
 *           per task, reported as an ElasticNetworkInterface attachment
 *
 * Namespaces are files under DATA/netns (DATA/netns/<task> for awsvpc,
 * DATA/netns/<task>-<index> per container otherwise); a task's plan
 * (addresses, host ports, interface names) is written to
 * DATA/tasks/<task>/net.json before anything is created, so teardown and a
 * restarted agent know exactly what to remove or keep.  Links, addresses and
 * routes go through netlink (netlink.c); the nftables table is rewritten in
 * one `nft -f -` per change (nftrules.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct net_env;
struct net_task;

struct net_config {
    const char *data_dir;
    const char *bridge;      /* host bridge name */
    const char *task_subnet; /* CIDR the bridge and task addresses come from */
    /* The server's DNS responder, "HOST:PORT" (NULL or "": none): bridge
     * and awsvpc tasks then resolve through a relay on the bridge's
     * gateway (dnsrelay.h). */
    const char *dns_server;
};

/* Parse the configuration; nothing is created until a task needs it. */
int network_open(const struct net_config *cfg, struct net_env **ret, struct error *err);
/* Forget the in-memory state.  When no task holds a network, the bridge and
 * the nftables table are removed too. */
void network_close(struct net_env *env);

/* Plan and build a task's network before its containers start.  task is the
 * task as the server sent it (taskDefinition included); defs are its
 * container definitions (overrides applied), ndefs of them. */
int network_task_setup(struct net_env *env, const char *task_id, json_t *task, json_t *const *defs, size_t ndefs,
                       struct net_task **ret, struct error *err);
/* A restarted agent: take back what DATA/tasks/<task>/net.json describes.
 * Returns 0 and *ret NULL when the task had no network plan. */
int network_task_adopt(struct net_env *env, const char *task_id, struct net_task **ret, struct error *err);
/* After all adoptions: remove namespaces and veths of tasks the agent no
 * longer has and rewrite the nftables table from the adopted tasks. */
void network_reconcile(struct net_env *env);
/* The task endpoint (agent/task/task_endpoint.c) listens on
 * 169.254.170.2:port: send 169.254.170.2:80 there from the bridge and from
 * the host, and let it through the guard.  Removed by network_close. */
int network_endpoint_enable(struct net_env *env, int port, struct error *err);
/* Undo everything the task's network holds (idempotent) and free it. */
void network_task_teardown(struct net_env *env, struct net_task *nt);

/* The namespace container `index` joins: a path, "host", or NULL. */
const char *network_netns(const struct net_env *env, const struct net_task *nt, size_t index, char *buf, size_t cap);
/* The host side of the veth container `index` (bridge) or the task (awsvpc)
 * reaches the bridge through, or NULL. */
const char *network_host_veth(const struct net_task *nt, size_t index);
/* The container's (bridge) or task's (awsvpc) address, or NULL. */
const char *network_address(const struct net_task *nt, size_t index);
/* The nameserver a bridge or awsvpc task's resolv.conf names: the DNS
 * relay's address (into buf), or NULL when there is none (the host's
 * resolvers are copied, as before). */
const char *network_dns_resolver(struct net_env *env, const struct net_task *nt, char *buf, size_t cap);
/* The name a container's own address is known by in /etc/hosts (awsvpc: the
 * private DNS name), or NULL. */
const char *network_dns_name(const struct net_task *nt);
/* For reports: networkBindings and networkInterfaces of container `index`
 * (new references, NULL when there are none) and the task's attachments. */
json_t *network_bindings_json(const struct net_task *nt, size_t index);
json_t *network_interfaces_json(const struct net_task *nt, size_t index);
json_t *network_attachments_json(const struct net_task *nt);
