/* Unit tests: task networking's pure parts - subnets and the address pool,
 * port ranges, the dynamic port choice, the nftables ruleset text. */
#include <stdlib.h>

#include "agent/net/netpool.h"
#include "agent/net/nftrules.h"
#include "test.h"

TEST(netpool_cidr_parsing)
{
    struct netpool_cidr c;
    struct error err;
    CHECK(netpool_parse_cidr("172.31.200.0/24", &c, &err) == 0);
    CHECK(c.prefix == 24 && c.net == 0xac1fc800u);
    CHECK(netpool_parse_cidr("10.0.0.0/16", &c, &err) == 0);
    CHECK(netpool_parse_cidr("10.0.0.1/24", &c, &err) < 0); /* host bits */
    CHECK(netpool_parse_cidr("10.0.0.0/8", &c, &err) < 0);  /* wider than LIMIT_NET_MIN_PREFIX */
    CHECK(netpool_parse_cidr("10.0.0.0/30", &c, &err) < 0); /* no room */
    CHECK(netpool_parse_cidr("10.0.0.0", &c, &err) < 0);
    CHECK(netpool_parse_cidr("10.0.0.0/x", &c, &err) < 0);
    CHECK(netpool_parse_cidr("300.0.0.0/24", &c, &err) < 0);
    CHECK(netpool_parse_cidr(NULL, &c, &err) < 0);
}

TEST(netpool_allocation_skips_network_gateway_broadcast)
{
    struct netpool_cidr c;
    struct error err;
    CHECK(netpool_parse_cidr("10.9.0.0/29", &c, &err) == 0);
    struct netpool *p = malloc(sizeof(*p));
    netpool_init(p, &c);
    char buf[16];
    netpool_format(netpool_gateway(p), buf, sizeof(buf));
    CHECK_STR(buf, "10.9.0.1");
    uint32_t got[5];
    for (int i = 0; i < 5; i++)
        CHECK(netpool_alloc(p, &got[i], &err) == 0);
    netpool_format(got[0], buf, sizeof(buf));
    CHECK_STR(buf, "10.9.0.2");
    netpool_format(got[4], buf, sizeof(buf));
    CHECK_STR(buf, "10.9.0.6");
    uint32_t extra;
    CHECK(netpool_alloc(p, &extra, &err) < 0 && err.kind == ERR_LIMIT); /* .7 is broadcast */
    netpool_release(p, got[1]);
    CHECK(netpool_alloc(p, &extra, &err) == 0 && extra == got[1]); /* lowest free again */
    CHECK(!netpool_take(p, got[2]));                               /* taken */
    netpool_release(p, got[2]);
    CHECK(netpool_take(p, got[2])); /* adoption */
    uint32_t outside;
    CHECK(netpool_parse_addr("10.9.1.2", &outside) == 0);
    CHECK(!netpool_take(p, outside));
    netpool_release(p, netpool_gateway(p)); /* never freed */
    CHECK(!netpool_take(p, netpool_gateway(p)));
    free(p);
}

TEST(netpool_port_ranges)
{
    int lo, hi;
    struct error err;
    CHECK(netpool_parse_port_range("8000", &lo, &hi, &err) == 0 && lo == 8000 && hi == 8000);
    CHECK(netpool_parse_port_range("8000-8010", &lo, &hi, &err) == 0 && lo == 8000 && hi == 8010);
    CHECK(netpool_parse_port_range("1-65535", &lo, &hi, &err) == 0);
    CHECK(netpool_parse_port_range("8010-8000", &lo, &hi, &err) < 0);
    CHECK(netpool_parse_port_range("0-10", &lo, &hi, &err) < 0);
    CHECK(netpool_parse_port_range("80-65536", &lo, &hi, &err) < 0);
    CHECK(netpool_parse_port_range("80-", &lo, &hi, &err) < 0);
    CHECK(netpool_parse_port_range("-80", &lo, &hi, &err) < 0);
    CHECK(netpool_parse_port_range("80 ", &lo, &hi, &err) < 0);
    CHECK(netpool_parse_port_range("", &lo, &hi, &err) < 0);
}

static bool busy_even_or_listed(int port, void *data)
{
    const int *taken = data;
    for (; *taken; taken++)
        if (*taken == port)
            return true;
    return port % 2 == 0;
}

TEST(netpool_pick_port_wraps_and_skips_busy)
{
    int taken[] = {101, 0};
    int port;
    struct error err;
    CHECK(netpool_pick_port(100, 110, 100, busy_even_or_listed, taken, &port, &err) == 0 && port == 103);
    CHECK(netpool_pick_port(100, 110, 110, busy_even_or_listed, taken, &port, &err) == 0 && port == 103);
    CHECK(netpool_pick_port(100, 110, 108, busy_even_or_listed, taken, &port, &err) == 0 && port == 109);
    int all[] = {101, 103, 105, 107, 109, 0};
    CHECK(netpool_pick_port(100, 110, 100, busy_even_or_listed, all, &port, &err) < 0 && err.kind == ERR_LIMIT);
}

TEST(nftrules_text_whole_table)
{
    struct netpool_cidr c;
    struct error err;
    CHECK(netpool_parse_cidr("172.31.200.0/24", &c, &err) == 0);
    struct nft_mapping m[] = {
        {.udp = 0, .host_port = 49153, .addr = 0xac1fc802u, .ctr_port = 80},
        {.udp = 1, .host_port = 5353, .addr = 0xac1fc803u, .ctr_port = 53},
        {.udp = 0, .host_port = 8080, .addr = 0xac1fc803u, .ctr_port = 8080},
    };
    char *t = nftrules_text("berth_0123abcd", "berth0", &c, m, 3);
    CHECK(t != NULL);
    if (t) {
        CHECK(strncmp(t, "table ip berth_0123abcd\ndelete table ip berth_0123abcd\ntable ip berth_0123abcd {\n", 80) ==
              0);
        CHECK(strstr(t, "elements = { 49153 : 172.31.200.2 . 80, 8080 : 172.31.200.3 . 8080 }") != NULL);
        CHECK(strstr(t, "elements = { 5353 : 172.31.200.3 . 53 }") != NULL);
        CHECK(strstr(t, "type nat hook prerouting priority dstnat;") != NULL);
        CHECK(strstr(t, "type nat hook output priority -100;") != NULL);
        CHECK(strstr(t, "oifname \"berth0\" ip saddr 127.0.0.0/8 masquerade") != NULL);
        CHECK(strstr(t, "oifname \"berth0\" ip saddr 172.31.200.0/24 ct status dnat masquerade") != NULL);
        /* masquerade only towards the bridge */
        const char *p = t;
        int n = 0;
        while ((p = strstr(p, "masquerade"))) {
            n++;
            p++;
        }
        CHECK(n == 2);
    }
    free(t);
    t = nftrules_text("berth_0123abcd", "berth0", &c, NULL, 0);
    CHECK_STR(t, "table ip berth_0123abcd\ndelete table ip berth_0123abcd\n");
    free(t);
    /* one protocol only: the other map is declared without elements */
    t = nftrules_text("t", "b", &c, m, 1);
    CHECK(t && strstr(t, "map udp_ports {\n\t\ttype inet_service : ipv4_addr . inet_service\n\t}") != NULL);
    free(t);
}

TEST(nftrules_guard_keeps_tasks_off_the_host)
{
    char *t = nftrules_guard_text("berth_0123abcd", "berth0", NULL, 0);
    CHECK(t && strncmp(t, "table inet berth_0123abcd_guard\ndelete table inet berth_0123abcd_guard\n", 70) == 0);
    CHECK(t && strstr(t, "type filter hook input priority filter; policy accept;"));
    /* answers to the host's own connections pass; anything new from the bridge is refused */
    const char *est = t ? strstr(t, "iifname \"berth0\" ct state established,related accept") : NULL;
    const char *rej = t ? strstr(t, "iifname \"berth0\" reject with icmpx type admin-prohibited") : NULL;
    CHECK(est && rej && est < rej);
    CHECK(t && !strstr(t, "169.254.170.2"));
    /* the DNS relay is the one exception: UDP 53 on its address only, before the reject */
    CHECK(t && !strstr(t, "dport 53"));
    free(t);
    t = nftrules_guard_text("berth_0123abcd", "berth0", "10.1.2.1", 0);
    const char *dns = t ? strstr(t, "iifname \"berth0\" ip daddr 10.1.2.1 udp dport 53 accept") : NULL;
    rej = t ? strstr(t, "iifname \"berth0\" reject with icmpx type admin-prohibited") : NULL;
    CHECK(dns && rej && dns < rej);
    CHECK(t && !strstr(t, "tcp dport 53"));
    /* Service Connect's aliases: TCP to the server's proxy, before the reject */
    const char *sc = t ? strstr(t, "iifname \"berth0\" ip daddr 169.254.171.0/24 meta l4proto tcp accept") : NULL;
    CHECK(sc && sc < rej);
    free(t);
    t = nftrules_guard_delete_text("berth_0123abcd");
    CHECK_STR(t, "table inet berth_0123abcd_guard\ndelete table inet berth_0123abcd_guard\n");
    free(t);
}

TEST(nftrules_guard_lets_the_task_endpoint_through)
{
    char *t = nftrules_guard_text("g", "berth0", NULL, 40123);
    const char *ep = t ? strstr(t, "iifname \"berth0\" ip daddr 169.254.170.2 tcp dport 40123 accept") : NULL;
    const char *rej = t ? strstr(t, "iifname \"berth0\" reject") : NULL;
    CHECK(ep && rej && ep < rej);
    free(t);
    t = nftrules_endpoint_text("g", "berth0", 40123);
    CHECK(t && strstr(t, "iifname \"berth0\" ip daddr 169.254.170.2 tcp dport 80 dnat ip to 169.254.170.2:40123"));
    CHECK(t && strstr(t, "type nat hook output priority -110;"));
    free(t);
    t = nftrules_endpoint_delete_text("g");
    CHECK_STR(t, "table ip g_endpoint\ndelete table ip g_endpoint\n");
    free(t);
}

TEST(nftrules_table_name_per_data_dir)
{
    char a[32], b[32];
    nftrules_table_name("/var/lib/berth/agent", a, sizeof(a));
    nftrules_table_name("/tmp/other", b, sizeof(b));
    CHECK(strncmp(a, "berth_", 6) == 0 && strlen(a) == 14);
    CHECK(strcmp(a, b) != 0);
}

#include <unistd.h>

#include "agent/runtime/etcfiles.h"
#include "common/cleanup.h"

static void write_tmp(char *path, const char *text)
{
    int fd = mkstemp(path);
    if (fd >= 0) {
        ssize_t w = write(fd, text, strlen(text));
        (void)w;
        close(fd);
    }
}

TEST(etcfiles_per_network_mode)
{
    /* bridge/awsvpc: the container's own address carries its hostname */
    struct etcfiles_opts o = {.hostname = "web", .own_ip = "172.31.200.7"};
    _cleanup_free_ char *hosts = etcfiles_hosts_text(&o);
    CHECK(hosts && strstr(hosts, "172.31.200.7\tweb\n") && !strstr(hosts, "127.0.1.1"));
    /* host: the host's files, loopback nameservers kept */
    char hp[] = "/tmp/berth-unit-hosts-XXXXXX", rp[] = "/tmp/berth-unit-resolv-XXXXXX";
    write_tmp(hp, "127.0.0.1 localhost\n192.0.2.2 thehost");
    write_tmp(rp, "nameserver 127.0.0.53\nsearch corp\n");
    struct etcfiles_host extra[] = {{"db", "10.1.2.3"}};
    struct etcfiles_opts h = {
        .host_network = true, .host_hosts = hp, .host_resolv_conf = rp, .extra_hosts = extra, .n_extra_hosts = 1};
    _cleanup_free_ char *hh = etcfiles_hosts_text(&h);
    CHECK_STR(hh, "127.0.0.1 localhost\n192.0.2.2 thehost\n10.1.2.3\tdb\n");
    _cleanup_free_ char *resolv = NULL;
    struct error err;
    CHECK(etcfiles_resolv_text(&h, &resolv, &err) == 0);
    CHECK_STR(resolv, "nameserver 127.0.0.53\nsearch corp\n");
    _cleanup_free_ char *resolv2 = NULL;
    struct etcfiles_opts b = {.host_resolv_conf = rp};
    CHECK(etcfiles_resolv_text(&b, &resolv2, &err) == 0);
    CHECK_STR(resolv2, "search corp\n"); /* a new namespace cannot reach the host's 127.x */
    unlink(hp);
    unlink(rp);
}

TEST(nftrules_elements_add_and_delete)
{
    struct nft_mapping m[] = {
        {.udp = 0, .host_port = 49153, .addr = 0xac1fc802u, .ctr_port = 80},
        {.udp = 1, .host_port = 5353, .addr = 0xac1fc803u, .ctr_port = 53},
        {.udp = 0, .host_port = 8080, .addr = 0xac1fc803u, .ctr_port = 8080},
    };
    char *t = nftrules_elements_text("berth_x", true, m, 3);
    CHECK_STR(t, "add element ip berth_x tcp_ports { 49153 : 172.31.200.2 . 80, 8080 : 172.31.200.3 . 8080 }\n"
                 "add element ip berth_x udp_ports { 5353 : 172.31.200.3 . 53 }\n");
    free(t);
    t = nftrules_elements_text("berth_x", false, m, 1);
    CHECK_STR(t, "delete element ip berth_x tcp_ports { 49153 }\n");
    free(t);
}
