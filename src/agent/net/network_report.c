/* network_report.c - what the reports and the runner read from a task's
 * network plan (network.h): namespaces, addresses, bindings, attachments. */
#include "agent/net/network.h"

#include <pthread.h>

#include "agent/net/network_internal.h"

/* ---- what the reports and the runner need ------------------------------- */

const char *network_netns(const struct net_env *env, const struct net_task *nt, size_t index, char *buf, size_t cap)
{
    if (!nt)
        return NULL;
    if (mode_is(nt, "host"))
        return "host";
    const char *name = json_string_value(json_object_get(plan_ctr(nt, index), "netns"));
    if (!name)
        name = json_string_value(json_object_get(json_object_get(nt->plan, "task"), "netns"));
    if (!name)
        return NULL;
    network_ns_path(env, name, buf, cap);
    return buf;
}

const char *network_host_veth(const struct net_task *nt, size_t index)
{
    if (!nt)
        return NULL;
    const char *v = json_string_value(json_object_get(plan_ctr(nt, index), "veth"));
    return v ? v : json_string_value(json_object_get(json_object_get(nt->plan, "task"), "veth"));
}

const char *network_address(const struct net_task *nt, size_t index)
{
    if (!nt)
        return NULL;
    const char *a = json_string_value(json_object_get(plan_ctr(nt, index), "address"));
    return a ? a : json_string_value(json_object_get(json_object_get(nt->plan, "task"), "address"));
}

const char *network_dns_resolver(struct net_env *env, const struct net_task *nt, char *buf, size_t cap)
{
    if (!nt || !(mode_is(nt, "bridge") || mode_is(nt, "awsvpc")))
        return NULL;
    pthread_mutex_lock(&env->lock);
    bool on = env->relay != NULL;
    pthread_mutex_unlock(&env->lock);
    if (!on)
        return NULL;
    netpool_format(netpool_gateway(&env->pool), buf, cap);
    return buf;
}

const char *network_dns_name(const struct net_task *nt)
{
    return nt ? json_string_value(json_object_get(json_object_get(nt->plan, "task"), "dnsName")) : NULL;
}

json_t *network_bindings_json(const struct net_task *nt, size_t index)
{
    json_t *b = nt ? json_object_get(plan_ctr(nt, index), "bindings") : NULL;
    return json_array_size(b) ? json_deep_copy(b) : NULL;
}

json_t *network_interfaces_json(const struct net_task *nt, size_t index)
{
    json_t *tj = nt ? json_object_get(nt->plan, "task") : NULL;
    if (!tj)
        return NULL;
    return json_pack("[{s:O, s:O}]", "attachmentId", json_object_get(tj, "attachmentId"), "privateIpv4Address",
                     json_object_get(tj, "address"));
}

json_t *network_attachments_json(const struct net_task *nt)
{
    json_t *tj = nt ? json_object_get(nt->plan, "task") : NULL;
    if (!tj)
        return NULL;
    return json_pack("[{s:O, s:s, s:s, s:[{s:s, s:O}, {s:s, s:O}, {s:s, s:O}, {s:s, s:O}, {s:s, s:O}]}]", "id",
                     json_object_get(tj, "attachmentId"), "type", "ElasticNetworkInterface", "status", "ATTACHED",
                     "details", "name", "subnetId", "value", json_object_get(tj, "subnetId"), "name",
                     "networkInterfaceId", "value", json_object_get(tj, "eni"), "name", "macAddress", "value",
                     json_object_get(tj, "mac"), "name", "privateDnsName", "value", json_object_get(tj, "dnsName"),
                     "name", "privateIPv4Address", "value", json_object_get(tj, "address"));
}
