/* task_container.c - one container's start (see task_container.h): its
 * log options checked, environment files loaded, the image's config
 * merged, the OCI spec built (container_spec.c), the /etc files it gets
 * (dnsServers, dnsSearchDomains, extraHosts, links, the task's DNS name),
 * then runtime create and start.  When it may start (dependsOn) is
 * task_deps.c's; watching it is task_watch.c's. */
#include "agent/task/task_container.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "agent/image/image.h"
#include "agent/runtime/etcfiles.h"
#include "agent/agent_limits.h"
#include "agent/task/task_logs.h"
#include "agent/task/task_endpoint.h"
#include "agent/task/task_secrets.h"

#define MAX_DNS 16
#define MAX_HOSTS 48
#define MAX_EXTRA_HOSTS 32

/* What a start needs that must outlive building it (the spec and the /etc
 * options point into it). */
struct start_inputs {
    char netns[4200];
    char meta_task[800];
    char hostname[128];
    char resolver[16]; /* the DNS relay's address */
    char endpoint_env[TASK_ENDPOINT_ENV_MAX][160];
    /* BERTH_TASK_ARN, the endpoint's URIs, then the resolved secrets */
    const char *extra_env[1 + TASK_ENDPOINT_ENV_MAX + LIMIT_CTR_SECRETS];
    const char *dns[MAX_DNS], *search[MAX_DNS];
    struct etcfiles_host hosts[MAX_HOSTS];
    char link_names[MAX_HOSTS][256];
};

static const char *network_mode(struct task_runner *t)
{
    const char *m = json_string_value(runner_taskdef(t, "networkMode"));
    return m ? m : "bridge";
}

/* /etc/hosts entries for `links` ("name" or "name:alias") to the task's
 * other bridge-mode containers. */
static size_t link_hosts(struct task_runner *t, struct runner_ctr *c, struct etcfiles_host *hosts, size_t n, size_t cap,
                         char (*names)[256])
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->def, "links"), i, v) {
        const char *link = json_string_value(v);
        if (!link || n + 2 > cap)
            continue;
        snprintf(names[n], 256, "%s", link);
        char *colon = strchr(names[n], ':');
        if (colon)
            *colon = '\0';
        for (size_t k = 0; k < t->nctrs; k++) {
            const char *addr = network_address(t->net, k);
            if (!addr || strcmp(t->ctrs[k].name, names[n]) != 0)
                continue;
            hosts[n].ip = addr;
            hosts[n].hostname = names[n];
            n++;
            if (colon) {
                snprintf(names[n], 256, "%s", strchr(link, ':') + 1);
                hosts[n].ip = addr;
                hosts[n].hostname = names[n];
                n++;
            }
            break;
        }
    }
    return n;
}

/* dnsServers, dnsSearchDomains, extraHosts, links and the task's DNS name
 * -> the options of the container's /etc files. */
static void etc_options(struct task_runner *t, struct runner_ctr *c, const char *hostname, struct start_inputs *si,
                        struct etcfiles_opts *ret)
{
    size_t idx = (size_t)(c - t->ctrs);
    size_t ndns = 0, nsearch = 0, nhosts = 0;
    size_t i;
    json_t *v;
    /* Entries that are not strings are skipped, never written as "(null)". */
    json_array_foreach(json_object_get(c->def, "dnsServers"), i, v) {
        if (ndns < MAX_DNS && json_string_value(v))
            si->dns[ndns++] = json_string_value(v);
    }
    json_array_foreach(json_object_get(c->def, "dnsSearchDomains"), i, v) {
        if (nsearch < MAX_DNS && json_string_value(v))
            si->search[nsearch++] = json_string_value(v);
    }
    json_array_foreach(json_object_get(c->def, "extraHosts"), i, v) {
        const char *hn = json_string_value(json_object_get(v, "hostname"));
        const char *ip = json_string_value(json_object_get(v, "ipAddress"));
        if (nhosts < MAX_EXTRA_HOSTS && hn && ip) {
            si->hosts[nhosts].hostname = hn;
            si->hosts[nhosts].ip = ip;
            nhosts++;
        }
    }
    nhosts = link_hosts(t, c, si->hosts, nhosts, MAX_HOSTS, si->link_names);
    const char *dns_name = network_dns_name(t->net);
    if (dns_name && nhosts < MAX_HOSTS) {
        si->hosts[nhosts].ip = network_address(t->net, idx);
        si->hosts[nhosts].hostname = dns_name;
        nhosts++;
    }
    /* No dnsServers: bridge and awsvpc tasks ask the DNS relay, which
     * knows Cloud Map's namespaces and forwards the rest. */
    if (ndns == 0 && network_dns_resolver(t->env->net, t->net, si->resolver, sizeof(si->resolver)))
        si->dns[ndns++] = si->resolver;
    *ret = (struct etcfiles_opts){
        .hostname = hostname,
        .own_ip = network_address(t->net, idx),
        .host_network = strcmp(network_mode(t), "host") == 0,
        .dns_servers = si->dns,
        .n_dns_servers = ndns,
        .search_domains = si->search,
        .n_search_domains = nsearch,
        .extra_hosts = si->hosts,
        .n_extra_hosts = nhosts,
    };
}

/* The hostname a container gets when its definition sets none: an awsvpc
 * task's is its address's DNS name, as ECS gives it; otherwise like
 * Docker's short container id, 12 hex characters that differ between
 * containers: a hash of the runtime id (whose first characters are the
 * task id's time, the same for tasks made in the same ms). */
static const char *default_hostname(struct task_runner *t, struct runner_ctr *c, char *buf, size_t cap)
{
    const char *dns_name = network_dns_name(t->net);
    if (strcmp(network_mode(t), "awsvpc") == 0 && dns_name)
        snprintf(buf, cap, "%s", dns_name);
    else
        ids_derived_hex(c->id, strlen(c->id), buf, cap > 12 ? 12 : cap - 1);
    return buf;
}

static int build_spec(struct task_runner *t, struct runner_ctr *c, const struct imgconfig *merged,
                      const struct task_volumes *vols, struct start_inputs *si, struct container_spec *ret,
                      struct error *err)
{
    size_t idx = (size_t)(c - t->ctrs);
    snprintf(si->meta_task, sizeof(si->meta_task), "BERTH_TASK_ARN=%s", t->arn);
    si->extra_env[0] = si->meta_task;
    size_t n_extra = 1;
    size_t n_ep = task_endpoint_env(t, c, si->endpoint_env, ELEMENTSOF(si->endpoint_env));
    for (size_t i = 0; i < n_ep; i++)
        si->extra_env[n_extra++] = si->endpoint_env[i];
    for (size_t i = 0; i < c->n_secret_env && n_extra < ELEMENTSOF(si->extra_env); i++)
        si->extra_env[n_extra++] = c->secret_env[i];
    struct container_spec_input in = {
        .container = c->def,
        .merged = merged,
        .all_containers = runner_taskdef(t, "containerDefinitions"),
        .volumes = vols->v,
        .n_volumes = vols->n,
        .network_mode = network_mode(t),
        .netns = network_netns(t->env->net, t->net, idx, si->netns, sizeof(si->netns)),
        .init_path = t->env->init_path[0] ? t->env->init_path : NULL,
        .default_hostname = default_hostname(t, c, si->hostname, sizeof(si->hostname)),
        .extra_env = si->extra_env,
        .n_extra_env = n_extra,
    };
    return container_spec_build(&in, ret, err);
}

/* Create and start (conmon runs the runtime); on failure nothing is left. */
static int create_and_start(struct task_runner *t, struct runner_ctr *c, struct container_spec *cs, char **lower,
                            size_t nlower, const struct etcfiles_opts *etc, struct error *err)
{
    struct runtime_run_opts co = {
        .runtime = t->env->kind,
        .lower = (const char *const *)lower,
        .n_lower = nlower,
        .task_id = t->id,
        .stop_signal = c->stop_signal,
        .etc = etc,
        .ret_bundle_ready = &t->start_marks[MARK_BUNDLE],
        .ret_created = &t->start_marks[MARK_CREATED],
    };
    if (runtime_run(&t->env->rt, c->id, &cs->spec, &co, NULL, err) < 0)
        return -1;
    runner_mark(t, MARK_STARTED);
    return 0;
}

int task_container_start(struct task_runner *t, struct runner_ctr *c, const struct task_volumes *vols,
                         struct error *err)
{
    if (task_logs_check(c, err) < 0) /* as Docker, refuse log options it cannot honour */
        return -1;
    const char *image = json_string_value(json_object_get(c->def, "image"));
    if (container_spec_load_env_files(c->def, err) < 0)
        return -1;
    _cleanup_(imgconfig_freep) struct imgconfig *merged = NULL;
    if (image_config(t->env->images, image, c->def, &merged, err) < 0)
        return -1;
    char **lower = NULL;
    size_t nlower = 0;
    if (image_lower_dirs(t->env->images, image, &lower, &nlower, err) < 0)
        return -1;
    struct start_inputs si;
    struct container_spec cs;
    if (build_spec(t, c, merged, vols, &si, &cs, err) < 0) {
        image_dirs_free(lower, nlower);
        return -1;
    }
    struct etcfiles_opts etc;
    etc_options(t, c, cs.spec.hostname, &si, &etc);
    snprintf(c->stop_signal, sizeof(c->stop_signal), "%s", merged->stop_signal ? merged->stop_signal : "SIGTERM");
    int r = create_and_start(t, c, &cs, lower, nlower, &etc, err);
    container_spec_free(&cs);
    task_secrets_forget(c); /* the container has them now; this process need not */
    image_dirs_free(lower, nlower);
    return r;
}
