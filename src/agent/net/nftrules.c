/* nftrules.c - generate and apply the agent's nftables table (see
 * nftrules.h).  The whole table is rewritten on every change: one small
 * batch per task start or stop, atomic in the kernel, and no rule handles to
 * remember across restarts. */
#include "agent/net/nftrules.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "agent/runtime/spawn.h"

static void add_map(struct buf *b, const char *name, int udp, const struct nft_mapping *m, size_t n)
{
    buf_printf(b, "\tmap %s {\n\t\ttype inet_service : ipv4_addr . inet_service\n", name);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (m[i].udp != udp)
            continue;
        char a[16];
        netpool_format(m[i].addr, a, sizeof(a));
        buf_printf(b, "%s%d : %s . %d", first ? "\t\telements = { " : ", ", m[i].host_port, a, m[i].ctr_port);
        first = false;
    }
    buf_printf(b, "%s\t}\n", first ? "" : " }\n");
}

char *nftrules_text(const char *table, const char *bridge, const struct netpool_cidr *subnet,
                    const struct nft_mapping *m, size_t n)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_NET_NFT_RULESET);
    /* "table" first so that "delete" never fails on a missing table. */
    buf_printf(&b, "table ip %s\ndelete table ip %s\n", table, table);
    if (n) {
        char net[16];
        netpool_format(subnet->net, net, sizeof(net));
        buf_printf(&b, "table ip %s {\n", table);
        add_map(&b, "tcp_ports", 0, m, n);
        add_map(&b, "udp_ports", 1, m, n);
        static const char *const hooks[][2] = {{"prerouting", "dstnat"}, {"output", "-100"}};
        for (size_t h = 0; h < ELEMENTSOF(hooks); h++)
            buf_printf(&b,
                       "\tchain %s {\n\t\ttype nat hook %s priority %s; policy accept;\n"
                       "\t\tfib daddr type local meta l4proto tcp dnat ip to tcp dport map @tcp_ports\n"
                       "\t\tfib daddr type local meta l4proto udp dnat ip to udp dport map @udp_ports\n\t}\n",
                       hooks[h][0], hooks[h][0], hooks[h][1]);
        buf_printf(&b,
                   "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                   "\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n"
                   "\t\toifname \"%s\" ip saddr %s/%d ct status dnat masquerade\n\t}\n}\n",
                   bridge, bridge, net, subnet->prefix);
    }
    return buf_steal(&b, NULL);
}

char *nftrules_elements_text(const char *table, bool add, const struct nft_mapping *m, size_t n)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_NET_NFT_RULESET);
    for (int udp = 0; udp < 2; udp++) {
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            if (m[i].udp != udp)
                continue;
            if (!first)
                buf_append_str(&b, ", ");
            if (first)
                buf_printf(&b, "%s element ip %s %s { ", add ? "add" : "delete", table,
                           udp ? "udp_ports" : "tcp_ports");
            first = false;
            if (add) {
                char a[16];
                netpool_format(m[i].addr, a, sizeof(a));
                buf_printf(&b, "%d : %s . %d", m[i].host_port, a, m[i].ctr_port);
            } else {
                buf_printf(&b, "%d", m[i].host_port);
            }
        }
        if (!first)
            buf_append_str(&b, " }\n");
    }
    return buf_steal(&b, NULL);
}

char *nftrules_guard_text(const char *table, const char *bridge, const char *dns_addr, int endpoint_port)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_NET_NFT_RULESET);
    buf_printf(&b,
               "table inet %s_guard\ndelete table inet %s_guard\n"
               "table inet %s_guard {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
               "\t\tiifname \"%s\" ct state established,related accept\n"
               "\t\tiifname \"%s\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n",
               table, table, table, bridge, bridge);
    if (dns_addr)
        buf_printf(&b, "\t\tiifname \"%s\" ip daddr %s udp dport 53 accept\n", bridge, dns_addr);
    if (endpoint_port > 0)
        buf_printf(&b, "\t\tiifname \"%s\" ip daddr %s tcp dport %d accept\n", bridge, NFT_ENDPOINT_ADDR,
                   endpoint_port);
    /* Service Connect's client aliases: the server's proxy listens there. */
    buf_printf(&b, "\t\tiifname \"%s\" ip daddr %s meta l4proto tcp accept\n", bridge, NFT_SERVICE_CONNECT_NET);
    buf_printf(&b, "\t\tiifname \"%s\" reject with icmpx type admin-prohibited\n\t}\n}\n", bridge);
    return buf_steal(&b, NULL);
}

char *nftrules_endpoint_text(const char *table, const char *bridge, int endpoint_port)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_NET_NFT_RULESET);
    /* Before the port maps' dstnat chains: a task publishing host port 80
     * must not take the endpoint's address from its neighbours. */
    buf_printf(&b,
               "table ip %s_endpoint\ndelete table ip %s_endpoint\n"
               "table ip %s_endpoint {\n"
               "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat - 10; policy accept;\n"
               "\t\tiifname \"%s\" ip daddr %s tcp dport 80 dnat ip to %s:%d\n\t}\n"
               "\tchain output {\n\t\ttype nat hook output priority -110; policy accept;\n"
               "\t\tip daddr %s tcp dport 80 dnat ip to %s:%d\n\t}\n}\n",
               table, table, table, bridge, NFT_ENDPOINT_ADDR, NFT_ENDPOINT_ADDR, endpoint_port, NFT_ENDPOINT_ADDR,
               NFT_ENDPOINT_ADDR, endpoint_port);
    return buf_steal(&b, NULL);
}

char *nftrules_endpoint_delete_text(const char *table)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_NET_NFT_RULESET);
    buf_printf(&b, "table ip %s_endpoint\ndelete table ip %s_endpoint\n", table, table);
    return buf_steal(&b, NULL);
}

char *nftrules_guard_delete_text(const char *table)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_NET_NFT_RULESET);
    buf_printf(&b, "table inet %s_guard\ndelete table inet %s_guard\n", table, table);
    return buf_steal(&b, NULL);
}

int nftrules_apply(const char *nft_path, const char *text, struct error *err)
{
    /* A memfd as stdin: the batch may exceed a pipe's buffer and nft reads
     * it only after we would have blocked writing. */
    _cleanup_close_ int fd = memfd_create("berth-nft", MFD_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "memfd_create");
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0)
            return error_sys(err, "writing the nft batch");
        off += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) < 0)
        return error_sys(err, "lseek");
    const char *argv[] = {nft_path, "-f", "-", NULL};
    struct spawn_opts so = {.argv = argv, .stdin_fd = fd, .stdout_fd = -1, .stderr_fd = -1};
    char out[2048];
    struct spawn_result res;
    if (spawn_run(&so, LIMIT_NET_NFT_TIMEOUT_SEC * USEC_PER_SEC, out, sizeof(out), NULL, NULL, &res, err) < 0)
        return error_prefix(err, "nft");
    if (spawn_exit_code(res.status) != 0)
        return error_set(err, ERR_IO, "nft -f - failed (%d): %.900s", spawn_exit_code(res.status), out);
    return 0;
}

void nftrules_table_name(const char *data_dir, char *buf, size_t cap)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = data_dir; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    snprintf(buf, cap, "berth_%08x", h);
}
