/* dns_zone.c - Cloud Map's DNS namespaces as a zone (see dns_zone.h).
 *
 * Every query reads the store in its own read transaction: a change
 * committed by RegisterInstance, a task's report or a scale-in is in the
 * next answer, with no cache to invalidate.  What a name means:
 *
 *   <namespace>                      SOA (NODATA for other types)
 *   <service>.<namespace>            the service's records
 *   <instance>.<service>.<namespace> A/AAAA of that instance (SRV targets)
 *   anything else under a namespace  NXDOMAIN with the SOA
 *
 * Only instances whose HealthStatus is not UNHEALTHY are answered.
 * Names under elb.REGION.berth.internal are ELB's: a load balancer's
 * DNSName answers A with its loopback address, any other NXDOMAIN. */
#include "server/dns/dns_zone.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/cleanup.h"
#include "server/dns/dns_alias.h"
#include "server/dns/dns_packet.h"
#include "server/store/store.h"
#include "server/store/store_elb.h"
#include "server/store/store_sd.h"

/* The TTL of a load balancer's name (ELB answers 60). */
#define ELB_DNS_TTL 60

/* Route 53's SOA timers; the TTL is the namespace's. */
#define SOA_DEFAULT_TTL 15
#define SOA_REFRESH 7200
#define SOA_RETRY 900
#define SOA_EXPIRE 1209600
#define SOA_MINIMUM 86400

static const char *jstr(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

struct lookup {
    const char *qname;
    json_t *best; /* the namespace with the longest name qname is under */
    size_t best_len;
};

/* Whether qname is name or ends in "." name (case-insensitive). */
static bool name_under(const char *qname, const char *name, size_t *ret_len)
{
    size_t q = strlen(qname), n = strlen(name);
    while (n && name[n - 1] == '.')
        n--;
    if (n == 0 || n > q || strncasecmp(qname + q - n, name, n) != 0)
        return false;
    if (q > n && qname[q - n - 1] != '.')
        return false;
    *ret_len = n;
    return true;
}

static int ns_visit(json_t *ns, void *ud, struct error *err)
{
    (void)err;
    struct lookup *l = ud;
    const char *type = jstr(ns, "Type"), *name = jstr(ns, "Name");
    size_t n = 0;
    if (!type || strncmp(type, "DNS_", 4) != 0 || !name || !name_under(l->qname, name, &n) || n <= l->best_len)
        return 0;
    json_decref(l->best);
    l->best = json_incref(ns);
    l->best_len = n;
    return 0;
}

struct svc_find {
    const char *name;
    size_t len;
    json_t *found;
};

static int svc_visit(json_t *svc, void *ud, struct error *err)
{
    (void)err;
    struct svc_find *f = ud;
    const char *name = jstr(svc, "Name");
    if (!f->found && name && strlen(name) == f->len && strncasecmp(name, f->name, f->len) == 0)
        f->found = json_incref(svc);
    return 0;
}

struct inst_list {
    json_t *list;
};

static int inst_visit(json_t *inst, void *ud, struct error *err)
{
    (void)err;
    struct inst_list *l = ud;
    const char *health = jstr(inst, "HealthStatus");
    if ((health && strcmp(health, "UNHEALTHY") == 0) || json_array_size(l->list) >= DNS_INSTANCES_MAX)
        return 0;
    return json_array_append(l->list, inst);
}

/* The TTL of svc's record of type, or -1 when it has none. */
static long long record_ttl(json_t *svc, const char *type)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(json_object_get(svc, "DnsConfig"), "DnsRecords"), i, r) {
        if (jstr(r, "Type") && strcmp(jstr(r, "Type"), type) == 0) {
            json_int_t ttl = json_integer_value(json_object_get(r, "TTL"));
            return ttl < 0 ? 0 : ttl > INT32_MAX ? INT32_MAX : ttl;
        }
    }
    return -1;
}

static uint32_t ns_ttl(json_t *ns)
{
    json_t *soa = json_object_get(json_object_get(json_object_get(ns, "Properties"), "DnsProperties"), "SOA");
    json_t *ttl = json_object_get(soa, "TTL");
    json_int_t v = ttl ? json_integer_value(ttl) : SOA_DEFAULT_TTL;
    return (uint32_t)(v < 0 ? 0 : v > INT32_MAX ? INT32_MAX : v);
}

static void write_soa(struct dns_writer *w, enum dns_section s, json_t *ns, const char *apex)
{
    char rname[DNS_NAME_MAX];
    snprintf(rname, sizeof(rname), "hostmaster.%s", apex);
    struct dns_soa soa = {.mname = apex[0] ? apex : "berth",
                          .rname = strlen(rname) < DNS_NAME_MAX - 1 ? rname : "hostmaster",
                          .serial = 1,
                          .refresh = SOA_REFRESH,
                          .retry = SOA_RETRY,
                          .expire = SOA_EXPIRE,
                          .minimum = SOA_MINIMUM};
    (void)dns_write_soa(w, s, apex, ns_ttl(ns), &soa);
}

/* Shuffle list in place (Fisher-Yates) and keep its first keep. */
static void shuffle_keep(json_t *list, size_t keep)
{
    size_t n = json_array_size(list);
    for (size_t i = n; i > 1; i--) {
        uint32_t r = 0;
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
            r = (uint32_t)i * 2654435761u;
        size_t j = r % i;
        json_t *a = json_incref(json_array_get(list, i - 1));
        json_array_set(list, i - 1, json_array_get(list, j));
        json_array_set_new(list, j, a);
    }
    while (json_array_size(list) > keep)
        json_array_remove(list, json_array_size(list) - 1);
}

/* One instance's address records for owner. */
static int write_addresses(struct dns_writer *w, enum dns_section s, json_t *svc, json_t *inst, const char *owner,
                           uint16_t qtype)
{
    json_t *attrs = json_object_get(inst, "Attributes");
    long long ttl;
    int written = 0;
    uint8_t addr[16];
    const char *v4 = jstr(attrs, "AWS_INSTANCE_IPV4"), *v6 = jstr(attrs, "AWS_INSTANCE_IPV6");
    ttl = record_ttl(svc, "A");
    if ((qtype == DNS_TYPE_A || qtype == DNS_TYPE_ANY) && ttl >= 0 && v4 && inet_pton(AF_INET, v4, addr) == 1)
        written += dns_write_a(w, s, owner, (uint32_t)ttl, addr) == 0;
    ttl = record_ttl(svc, "AAAA");
    if ((qtype == DNS_TYPE_AAAA || qtype == DNS_TYPE_ANY) && ttl >= 0 && v6 && inet_pton(AF_INET6, v6, addr) == 1)
        written += dns_write_aaaa(w, s, owner, (uint32_t)ttl, addr) == 0;
    return written;
}

struct answer {
    struct dns_writer *w;
    const struct dns_query *q;
    json_t *ns, *svc;
    const char *apex; /* the namespace's name as asked */
};

/* The records of a service's healthy instances; the count answered. */
static int answer_service(struct answer *a, json_t *instances)
{
    const char *routing = jstr(json_object_get(a->svc, "DnsConfig"), "RoutingPolicy");
    shuffle_keep(instances, routing && strcmp(routing, "WEIGHTED") == 0 ? 1 : DNS_MULTIVALUE_MAX);
    uint16_t qt = a->q->qtype;
    int n = 0;
    size_t i;
    json_t *inst;
    long long cname_ttl = record_ttl(a->svc, "CNAME"), srv_ttl = record_ttl(a->svc, "SRV");
    json_array_foreach(instances, i, inst) {
        json_t *attrs = json_object_get(inst, "Attributes");
        const char *cname = jstr(attrs, "AWS_INSTANCE_CNAME");
        if (cname_ttl >= 0 && cname) {
            n += dns_write_cname(a->w, DNS_SECTION_ANSWER, a->q->name, (uint32_t)cname_ttl, cname) == 0;
            continue;
        }
        n += write_addresses(a->w, DNS_SECTION_ANSWER, a->svc, inst, a->q->name, qt);
        const char *port = jstr(attrs, "AWS_INSTANCE_PORT");
        if ((qt == DNS_TYPE_SRV || qt == DNS_TYPE_ANY) && srv_ttl >= 0 && port) {
            char target[DNS_NAME_MAX];
            long p = strtol(port, NULL, 10);
            int len = snprintf(target, sizeof(target), "%s.%s", jstr(inst, "Id"), a->q->name);
            if (p > 0 && p < 65536 && len > 0 && (size_t)len < sizeof(target))
                n += dns_write_srv(a->w, DNS_SECTION_ANSWER, a->q->name, (uint32_t)srv_ttl, 1, 1, (uint16_t)p,
                                   target) == 0;
        }
    }
    if (a->w->full)
        dns_writer_truncated(a->w);
    if (qt != DNS_TYPE_SRV)
        return n;
    /* The targets' addresses, as far as they fit (they are a courtesy). */
    json_array_foreach(instances, i, inst) {
        char target[DNS_NAME_MAX];
        int len = snprintf(target, sizeof(target), "%s.%s", jstr(inst, "Id"), a->q->name);
        if (len > 0 && (size_t)len < sizeof(target))
            write_addresses(a->w, DNS_SECTION_ADDITIONAL, a->svc, inst, target, DNS_TYPE_A);
    }
    return n;
}

/* NXDOMAIN or NODATA, with the SOA as authority. */
static void answer_negative(struct answer *a, bool nxdomain)
{
    if (nxdomain)
        dns_writer_rcode(a->w, DNS_RCODE_NXDOMAIN);
    write_soa(a->w, DNS_SECTION_AUTHORITY, a->ns, a->apex);
}

/* The service named by rel (len bytes) in the namespace: a new reference. */
static json_t *service_named(struct store_tx *tx, const char *region, json_t *ns, const char *rel, size_t len,
                             struct error *err)
{
    struct svc_find f = {rel, len, NULL};
    if (store_sd_each(tx, STORE_SD_SERVICE, region, jstr(ns, "Id"), NULL, svc_visit, &f, err) < 0)
        return NULL;
    return f.found;
}

/* rel is "<service>" or "<instance>.<service>": answer either; 0 when
 * neither exists, -1 on a store error. */
static int answer_name(struct answer *a, struct store_tx *tx, const char *region, const char *rel, size_t rel_len,
                       struct error *err)
{
    _cleanup_json_ json_t *svc = service_named(tx, region, a->ns, rel, rel_len, err);
    _cleanup_json_ json_t *instances = json_array();
    if (!instances)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (svc) {
        a->svc = svc;
        struct inst_list l = {instances};
        if (store_sd_each(tx, STORE_SD_INSTANCE, region, jstr(svc, "Id"), NULL, inst_visit, &l, err) < 0)
            return -1;
        if (answer_service(a, instances) == 0)
            answer_negative(a, false);
        return 1;
    }
    const char *dot = memchr(rel, '.', rel_len);
    if (!dot)
        return 0;
    svc = service_named(tx, region, a->ns, dot + 1, rel_len - (size_t)(dot - rel) - 1, err);
    if (!svc)
        return 0;
    char id[DNS_NAME_MAX];
    snprintf(id, sizeof(id), "%.*s", (int)(dot - rel), rel);
    _cleanup_json_ json_t *inst = NULL;
    int r = store_sd_get(tx, STORE_SD_INSTANCE, region, jstr(svc, "Id"), id, &inst, err);
    if (r < 0)
        return -1;
    const char *health = inst ? jstr(inst, "HealthStatus") : NULL;
    if (r == 0 || (health && strcmp(health, "UNHEALTHY") == 0))
        return 0;
    a->svc = svc;
    if (write_addresses(a->w, DNS_SECTION_ANSWER, svc, inst, a->q->name, a->q->qtype) == 0)
        answer_negative(a, false);
    return 1;
}

/* The answer for a name under ns, written into w. */
static int answer_in_namespace(struct answer *a, struct store_tx *tx, const char *region, size_t ns_len,
                               struct error *err)
{
    size_t qlen = strlen(a->q->name);
    a->apex = a->q->name + qlen - ns_len;
    if (qlen == ns_len) {
        if (a->q->qtype == DNS_TYPE_SOA || a->q->qtype == DNS_TYPE_ANY)
            write_soa(a->w, DNS_SECTION_ANSWER, a->ns, a->apex);
        else
            answer_negative(a, false);
        return 0;
    }
    int r = answer_name(a, tx, region, a->q->name, qlen - ns_len - 1, err);
    if (r < 0)
        return -1;
    if (r == 0)
        answer_negative(a, true);
    return 0;
}

struct lb_find {
    const char *qname;
    json_t *found;
};

static int lb_visit(json_t *lb, void *ud, struct error *err)
{
    (void)err;
    struct lb_find *f = ud;
    if (!f->found && jstr(lb, "DNSName") && strcasecmp(jstr(lb, "DNSName"), f->qname) == 0)
        f->found = json_incref(lb);
    return 0;
}

/* A load balancer's DNSName (NAME-ID.elb.REGION.berth.internal): A of its
 * loopback address.  0 when the name is not under that domain. */
static int answer_load_balancer(struct store_tx *tx, const char *region, const struct dns_query *q,
                                struct dns_writer *w, struct error *err)
{
    char domain[96];
    size_t n;
    snprintf(domain, sizeof(domain), "elb.%s.berth.internal", region);
    if (!name_under(q->name, domain, &n))
        return 0;
    struct lb_find f = {q->name, NULL};
    if (store_elb_each(tx, STORE_ELB_LB, region, NULL, NULL, lb_visit, &f, err) < 0)
        return -1;
    _cleanup_json_ json_t *lb = f.found;
    uint8_t addr[4];
    if (!lb || !jstr(lb, "berthAddress") || inet_pton(AF_INET, jstr(lb, "berthAddress"), addr) != 1)
        dns_writer_rcode(w, DNS_RCODE_NXDOMAIN);
    else if (q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_ANY)
        dns_write_a(w, DNS_SECTION_ANSWER, q->name, ELB_DNS_TTL, addr);
    return 1;
}

enum dns_zone_result dns_zone_answer(struct store *st, const char *region, const uint8_t *msg, size_t len, uint8_t *out,
                                     size_t cap, size_t *ret_len)
{
    struct dns_query q;
    int rc = dns_query_parse(msg, len, &q);
    if (rc < 0)
        return DNS_ZONE_DROP;
    if (rc > 0) {
        *ret_len = dns_error_answer(out, cap, &q, msg, rc);
        return *ret_len ? DNS_ZONE_ANSWERED : DNS_ZONE_DROP;
    }
    if (q.qclass != DNS_CLASS_IN && q.qclass != DNS_TYPE_ANY)
        return DNS_ZONE_FORWARD;
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin(st, false, &tx, &err) < 0)
        goto servfail;
    /* Service Connect's aliases first: a dnsName may lie under a namespace. */
    int alias = dns_alias_answer(tx, region, &q, msg, out, cap, ret_len, &err);
    if (alias != 0) {
        store_rollback(tx);
        if (alias < 0)
            goto servfail;
        return DNS_ZONE_ANSWERED;
    }
    struct dns_writer w;
    if (dns_writer_start(&w, out, cap, &q, msg, DNS_RCODE_NOERROR, true) < 0) {
        store_rollback(tx);
        goto servfail;
    }
    int lbr = answer_load_balancer(tx, region, &q, &w, &err);
    if (lbr != 0) {
        store_rollback(tx);
        if (lbr < 0)
            goto servfail;
        *ret_len = w.len;
        return DNS_ZONE_ANSWERED;
    }
    struct lookup l = {q.name, NULL, 0};
    if (store_sd_each(tx, STORE_SD_NAMESPACE, region, "", NULL, ns_visit, &l, &err) < 0) {
        store_rollback(tx);
        goto servfail;
    }
    if (!l.best) {
        store_rollback(tx);
        return DNS_ZONE_FORWARD;
    }
    struct answer a = {&w, &q, l.best, NULL, NULL};
    int r = answer_in_namespace(&a, tx, region, l.best_len, &err);
    json_decref(l.best);
    store_rollback(tx);
    if (r < 0)
        goto servfail;
    *ret_len = w.len;
    return DNS_ZONE_ANSWERED;
servfail:
    *ret_len = dns_error_answer(out, cap, &q, msg, DNS_RCODE_SERVFAIL);
    return *ret_len ? DNS_ZONE_ANSWERED : DNS_ZONE_DROP;
}
