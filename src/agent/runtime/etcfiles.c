/* etcfiles.c - the three /etc files Docker manages for a container.
 *
 * Without dnsServers the host's resolv.conf is copied, minus loopback
 * nameservers (127.x), which mean nothing inside a new network namespace,
 * as Docker does; search domains given in the spec replace the host's. */
#include "agent/runtime/etcfiles.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/fsutil.h"

char *etcfiles_hosts_text(const struct etcfiles_opts *o)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_STATE_FILE);
    _cleanup_free_ char *host = NULL;
    struct error e2;
    if (o->host_network &&
        fs_read_file(o->host_hosts ? o->host_hosts : "/etc/hosts", LIMIT_PASSWD_BYTES, &host, NULL, &e2) == 0) {
        size_t n = strlen(host);
        buf_printf(&b, "%s%s", host, n && host[n - 1] != '\n' ? "\n" : "");
        for (size_t i = 0; i < o->n_extra_hosts; i++)
            buf_printf(&b, "%s\t%s\n", o->extra_hosts[i].ip, o->extra_hosts[i].hostname);
        return buf_steal(&b, NULL);
    }
    buf_append_str(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    if (o->hostname && *o->hostname)
        buf_printf(&b, "%s\t%s\n", o->own_ip ? o->own_ip : "127.0.1.1", o->hostname);
    for (size_t i = 0; i < o->n_extra_hosts; i++)
        buf_printf(&b, "%s\t%s\n", o->extra_hosts[i].ip, o->extra_hosts[i].hostname);
    return buf_steal(&b, NULL);
}

int etcfiles_resolv_text(const struct etcfiles_opts *o, char **ret, struct error *err)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_STATE_FILE);
    if (o->n_dns_servers > 0) {
        for (size_t i = 0; i < o->n_dns_servers; i++)
            buf_printf(&b, "nameserver %s\n", o->dns_servers[i]);
    } else {
        _cleanup_free_ char *host = NULL;
        struct error e2;
        const char *path = o->host_resolv_conf ? o->host_resolv_conf : "/etc/resolv.conf";
        if (fs_read_file(path, LIMIT_PASSWD_BYTES, &host, NULL, &e2) == 0) {
            char *save = NULL;
            for (char *line = strtok_r(host, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!o->host_network && strncmp(line, "nameserver", 10) == 0 && strstr(line, " 127."))
                    continue;
                if (o->n_search_domains > 0 && strncmp(line, "search", 6) == 0)
                    continue;
                buf_printf(&b, "%s\n", line);
            }
        }
    }
    if (o->n_search_domains > 0) {
        buf_append_str(&b, "search");
        for (size_t i = 0; i < o->n_search_domains; i++)
            buf_printf(&b, " %s", o->search_domains[i]);
        buf_append_char(&b, '\n');
    }
    char *text = buf_steal(&b, NULL);
    if (!text)
        return error_set(err, ERR_LIMIT, "resolv.conf too large");
    *ret = text;
    return 0;
}

int etcfiles_write(const char *dir, const struct etcfiles_opts *o, struct error *err)
{
    char path[PATH_MAX];
    _cleanup_free_ char *hosts = etcfiles_hosts_text(o);
    if (!hosts)
        return error_set(err, ERR_LIMIT, "hosts file too large");
    snprintf(path, sizeof(path), "%s/hosts", dir);
    if (fs_replace_file(path, hosts, strlen(hosts), err) < 0)
        return -1;
    _cleanup_free_ char *resolv = NULL;
    if (etcfiles_resolv_text(o, &resolv, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/resolv.conf", dir);
    if (fs_replace_file(path, resolv, strlen(resolv), err) < 0)
        return -1;
    char hn[300], host_name[256] = "";
    if (o->host_network && gethostname(host_name, sizeof(host_name) - 1) < 0)
        host_name[0] = '\0';
    snprintf(hn, sizeof(hn), "%s\n", o->host_network ? host_name : o->hostname ? o->hostname : "");
    snprintf(path, sizeof(path), "%s/hostname", dir);
    return fs_replace_file(path, hn, strlen(hn), err);
}
