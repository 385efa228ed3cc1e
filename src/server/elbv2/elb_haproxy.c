/* elb_haproxy.c - one load balancer as an HAProxy configuration (see
 * elb_haproxy.h): a frontend per listener on the load balancer's address,
 * its rules as ACLs and use_backend lines in priority order, a backend per
 * target group (health checks, balance algorithm, stickiness, slow start)
 * and one per fixed-response or redirect action.
 *
 * Every value written here was checked by the API (elb_actions.c,
 * elb_tg.c) to be a word HAProxy reads unquoted; wildcards become regular
 * expressions whose punctuation is written as one-character classes, so
 * no escaping is needed.  Fixed-response bodies go to files beside the
 * configuration, never into it. */
#include "server/elbv2/elb_haproxy.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/elbv2/elb_ssl.h"

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The last path component of an ARN (its id). */
static const char *arn_id(const char *arn)
{
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    return slash ? slash + 1 : "";
}

/* A wildcard pattern ('*', '?') as an anchored regular expression. */
static void wildcard_regex(struct buf *b, const char *pat)
{
    buf_append_char(b, '^');
    for (; *pat; pat++) {
        unsigned char c = (unsigned char)*pat;
        if (c == '*')
            buf_append_str(b, ".*");
        else if (c == '?')
            buf_append_char(b, '.');
        else if (isalnum(c))
            buf_append_char(b, (char)c);
        else
            buf_printf(b, "[%c]", c);
    }
    buf_append_char(b, '$');
}

static void acl_values(struct buf *b, json_t *values, bool regex)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        buf_append_char(b, ' ');
        if (regex)
            wildcard_regex(b, json_string_value(v));
        else
            buf_append_str(b, json_string_value(v));
    }
}

/* A wildcard pattern ('*', '?') inside a query string: unanchored, a
 * wildcard never crossing a '&'. */
static void query_regex(struct buf *b, const char *pat)
{
    for (; *pat; pat++) {
        unsigned char c = (unsigned char)*pat;
        if (c == '*')
            buf_append_str(b, "[^&]*");
        else if (c == '?')
            buf_append_str(b, "[^&]");
        else if (isalnum(c))
            buf_append_char(b, (char)c);
        else
            buf_printf(b, "[%c]", c);
    }
}

/* A query-string condition: one ACL line per key/value pair, all of the
 * same name, which HAProxy ORs. */
static void query_acls(struct buf *b, json_t *values, size_t n, size_t k)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        buf_printf(b, "    acl r%zuc%zu query -i -m reg (^|&)", n, k);
        if (str(v, "Key"))
            query_regex(b, str(v, "Key"));
        else
            buf_append_str(b, "[^&=]*");
        buf_append_char(b, '=');
        query_regex(b, str(v, "Value"));
        buf_append_str(b, "(&|$)\n");
    }
}

/* The ACLs of one rule's conditions: acl r<n>c<k> ... */
static void rule_acls(struct buf *b, json_t *conditions, size_t n)
{
    size_t k;
    json_t *c;
    json_array_foreach(conditions, k, c) {
        const char *f = str(c, "Field");
        if (strcmp(f, "query-string") == 0) {
            query_acls(b, json_object_get(json_object_get(c, "QueryStringConfig"), "Values"), n, k);
            continue;
        }
        buf_printf(b, "    acl r%zuc%zu ", n, k);
        if (strcmp(f, "path-pattern") == 0) {
            buf_append_str(b, "path -m reg");
            acl_values(b, json_object_get(json_object_get(c, "PathPatternConfig"), "Values"), true);
        } else if (strcmp(f, "host-header") == 0) {
            buf_append_str(b, "req.hdr(host),field(1,:) -i -m reg");
            acl_values(b, json_object_get(json_object_get(c, "HostHeaderConfig"), "Values"), true);
        } else if (strcmp(f, "http-header") == 0) {
            json_t *cfg = json_object_get(c, "HttpHeaderConfig");
            buf_printf(b, "req.hdr(%s) -i -m reg", str(cfg, "HttpHeaderName"));
            acl_values(b, json_object_get(cfg, "Values"), true);
        } else if (strcmp(f, "http-request-method") == 0) {
            buf_append_str(b, "method");
            acl_values(b, json_object_get(json_object_get(c, "HttpRequestMethodConfig"), "Values"), false);
        } else {
            buf_append_str(b, "src");
            acl_values(b, json_object_get(json_object_get(c, "SourceIpConfig"), "Values"), false);
        }
        buf_append_char(b, '\n');
    }
}

static void rule_condition(struct buf *b, json_t *conditions, size_t n)
{
    for (size_t k = 0; k < json_array_size(conditions); k++)
        buf_printf(b, " r%zuc%zu", n, k);
}

/* An action's use_backend lines (or default_backend: n == SIZE_MAX),
 * naming fixed-response and redirect backends fr/rd_<listener>_<n>. */
static void action_lines(struct buf *b, json_t *action, const char *lid, json_t *conditions, size_t n)
{
    const char *type = str(action, "Type");
    bool dflt = n == SIZE_MAX;
    char own[96];
    snprintf(own, sizeof(own), "%s_%s_%s", strcmp(type, "redirect") == 0 ? "rd" : "fr", lid, dflt ? "d" : "");
    if (!dflt)
        snprintf(own + strlen(own), sizeof(own) - strlen(own), "%zu", n);
    if (strcmp(type, "forward") != 0) {
        buf_printf(b, dflt ? "    default_backend %s" : "    use_backend %s if", own);
        if (!dflt)
            rule_condition(b, conditions, n);
        buf_append_char(b, '\n');
        return;
    }
    json_t *groups = json_object_get(json_object_get(action, "ForwardConfig"), "TargetGroups");
    if (json_array_size(groups) == 1) {
        buf_printf(b, dflt ? "    default_backend tg_%s" : "    use_backend tg_%s if",
                   arn_id(str(json_array_get(groups, 0), "TargetGroupArn")));
        if (!dflt)
            rule_condition(b, conditions, n);
        buf_append_char(b, '\n');
        return;
    }
    /* Weighted: one draw per request, each group a slice of [0, total). */
    long total = 0, lo = 0;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
        total += (long)json_integer_value(json_object_get(g, "Weight"));
    char var[64];
    snprintf(var, sizeof(var), "txn.w%s", dflt ? "d" : "");
    if (!dflt)
        snprintf(var + strlen(var), sizeof(var) - strlen(var), "%zu", n);
    buf_printf(b, "    http-request set-var(%s) rand(%ld)\n", var, total);
    json_array_foreach(groups, i, g) {
        long w = (long)json_integer_value(json_object_get(g, "Weight"));
        if (w == 0)
            continue;
        buf_printf(b, "    use_backend tg_%s if", arn_id(str(g, "TargetGroupArn")));
        if (!dflt)
            rule_condition(b, conditions, n);
        buf_printf(b, " { var(%s) -m int ge %ld } { var(%s) -m int lt %ld }\n", var, lo, var, lo + w);
        lo += w;
    }
}

/* The backends of a fixed-response or redirect action. */
static void action_backend(struct buf *b, json_t *action, const char *lid, const char *n, json_t *listener,
                           const char *dir, json_t *files)
{
    long port = (long)json_integer_value(json_object_get(listener, "Port"));
    const char *own_proto = strcmp(str(listener, "Protocol"), "HTTPS") == 0 ? "https" : "http";
    const char *type = str(action, "Type");
    if (strcmp(type, "fixed-response") == 0) {
        json_t *c = json_object_get(action, "FixedResponseConfig");
        buf_printf(b, "backend fr_%s_%s\n    mode http\n    http-request return status %s", lid, n,
                   str(c, "StatusCode"));
        const char *body = str(c, "MessageBody");
        if (body && *body) {
            char name[128];
            snprintf(name, sizeof(name), "fr_%s_%s.body", lid, n);
            json_object_set_new(files, name, json_string(body));
            buf_printf(b, " content-type %s file %s/%s", str(c, "ContentType") ? str(c, "ContentType") : "text/plain",
                       dir, name);
        }
        buf_append_str(b, "\n\n");
        return;
    }
    if (strcmp(type, "redirect") != 0)
        return;
    json_t *c = json_object_get(action, "RedirectConfig");
    const char *proto = str(c, "Protocol") ? str(c, "Protocol") : "#{protocol}";
    const char *host = str(c, "Host") ? str(c, "Host") : "#{host}";
    const char *rport = str(c, "Port") ? str(c, "Port") : "#{port}";
    const char *path = str(c, "Path") ? str(c, "Path") : "/#{path}";
    const char *query = str(c, "Query") ? str(c, "Query") : "#{query}";
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%ld", port);
    const char *parts[] = {strcmp(proto, "#{protocol}") == 0 ? own_proto
                           : strcmp(proto, "HTTPS") == 0     ? "https"
                                                             : "http",
                           "://",
                           host,
                           ":",
                           rport,
                           path,
                           *query ? "?" : "",
                           query};
    buf_printf(b, "backend rd_%s_%s\n    mode http\n    http-request redirect code %s location ", lid, n,
               strcmp(str(c, "StatusCode"), "HTTP_301") == 0 ? "301" : "302");
    for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
        for (const char *p = parts[i]; *p;) {
            static const struct {
                const char *ph, *fmt;
            } subst[] = {{"#{host}", "%[req.hdr(host),field(1,:)]"},
                         {"#{path}", "%[path,bytes(1)]"},
                         {"#{query}", "%[query]"},
                         {"#{port}", NULL}};
            size_t used = 0;
            for (size_t k = 0; k < ELEMENTSOF(subst) && !used; k++) {
                if (strncmp(p, subst[k].ph, strlen(subst[k].ph)) == 0) {
                    buf_append_str(b, subst[k].fmt ? subst[k].fmt : portbuf);
                    used = strlen(subst[k].ph);
                }
            }
            if (!used) {
                buf_append_char(b, *p);
                used = 1;
            }
            p += used;
        }
    }
    buf_append_str(b, "\n\n");
}

static long num_attr(json_t *tg, const char *k, long def)
{
    const char *v = str(json_object_get(tg, "berthAttributes"), k);
    return v ? strtol(v, NULL, 10) : def;
}

/* The HTTP status codes a matcher accepts, as one regex alternation. */
static void matcher_regex(struct buf *b, const char *m)
{
    buf_append_str(b, "^(");
    bool first = true;
    while (m && *m) {
        char *end = NULL;
        long a = strtol(m, &end, 10), z = a;
        m = end;
        if (*m == '-')
            z = strtol(m + 1, &end, 10), m = end;
        for (long c = a; c <= z && c < 600; c++) {
            buf_printf(b, "%s%ld", first ? "" : "|", c);
            first = false;
        }
        if (*m == ',')
            m++;
        else if (*m)
            break;
    }
    buf_append_str(b, ")$");
}

static void tg_backend(struct buf *b, json_t *tg, const char *lb_addr)
{
    const char *proto = str(tg, "Protocol"), *hproto = str(tg, "HealthCheckProtocol");
    bool http = strcmp(proto, "TCP") != 0, check = !json_is_false(json_object_get(tg, "HealthCheckEnabled"));
    const char *algo = str(json_object_get(tg, "berthAttributes"), "load_balancing.algorithm.type");
    buf_printf(b, "backend tg_%s\n    mode %s\n    balance %s\n", arn_id(str(tg, "TargetGroupArn")),
               http ? "http" : "tcp",
               algo && strcmp(algo, "least_outstanding_requests") == 0 ? "leastconn" : "roundrobin");
    const char *sticky = str(json_object_get(tg, "berthAttributes"), "stickiness.enabled");
    bool stick = http && sticky && strcmp(sticky, "true") == 0;
    if (stick)
        buf_printf(b, "    cookie AWSALB insert indirect nocache maxlife %lds\n",
                   num_attr(tg, "stickiness.lb_cookie.duration_seconds", 86400));
    if (check && strcmp(hproto, "TCP") != 0) {
        buf_printf(b, "    option httpchk\n    http-check send meth GET uri %s ver HTTP/1.1 hdr Host %s\n",
                   str(tg, "HealthCheckPath"), lb_addr);
        buf_append_str(b, "    http-check expect rstatus ");
        matcher_regex(b, str(json_object_get(tg, "Matcher"), "HttpCode"));
        buf_append_char(b, '\n');
    }
    buf_printf(b, "    timeout check %llds\n",
               (long long)json_integer_value(json_object_get(tg, "HealthCheckTimeoutSeconds")));
    long slow = num_attr(tg, "slow_start.duration_seconds", 0);
    const char *hport = str(tg, "HealthCheckPort");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(tg, "berthTargets"), i, t) {
        if (json_object_get(t, "berthDrainUntil"))
            continue; /* draining: the old worker finishes its requests, the new one sends none */
        json_t *pj = json_object_get(t, "Port");
        long port = (long)json_integer_value(pj ? pj : json_object_get(tg, "Port"));
        buf_printf(b, "    server %s:%ld %s:%ld", str(t, "Id"), port, str(t, "berthAddress"), port);
        if (check) {
            buf_printf(b, " check inter %llds fall %lld rise %lld",
                       (long long)json_integer_value(json_object_get(tg, "HealthCheckIntervalSeconds")),
                       (long long)json_integer_value(json_object_get(tg, "UnhealthyThresholdCount")),
                       (long long)json_integer_value(json_object_get(tg, "HealthyThresholdCount")));
            if (hport && strcmp(hport, "traffic-port") != 0)
                buf_printf(b, " port %s", hport);
            if (strcmp(hproto, "HTTPS") == 0)
                buf_append_str(b, " check-ssl");
            else if (strcmp(proto, "HTTPS") == 0)
                buf_append_str(b, " no-check-ssl");
        }
        if (strcmp(proto, "HTTPS") == 0)
            buf_append_str(b, " ssl verify none");
        if (stick)
            buf_printf(b, " cookie s%zu", i);
        if (slow > 0)
            buf_printf(b, " slowstart %lds", slow);
        buf_append_char(b, '\n');
    }
    buf_append_char(b, '\n');
}

/* An HTTPS listener's bind options: its certificates (the default first:
 * HAProxy picks the others by SNI, the default when none matches) and its
 * security policy. */
static void tls_bind(struct buf *b, json_t *listener, const struct elb_haproxy_input *in)
{
    json_t *lists[] = {json_object_get(listener, "Certificates"), json_object_get(listener, "berthCertificates")};
    const char *def = str(json_array_get(lists[0], 0), "CertificateArn");
    buf_append_str(b, " ssl");
    for (size_t k = 0; k < ELEMENTSOF(lists); k++) {
        size_t i;
        json_t *c;
        json_array_foreach(lists[k], i, c) {
            const char *arn = str(c, "CertificateArn"), *file = str(in->certs, arn);
            /* The default may be in the list too: loaded once. */
            if (k > 0 && def && arn && strcmp(def, arn) == 0)
                continue;
            if (file)
                buf_printf(b, " crt %s/%s", in->dir, file);
        }
    }
    const struct elb_ssl_policy *p = elb_ssl_policy_find(str(listener, "SslPolicy"));
    elb_ssl_bind_options(p ? p : elb_ssl_policy_find(ELB_SSL_POLICY_DEFAULT), b);
    buf_append_str(b, " alpn http/1.1");
}

int elb_haproxy_config(const struct elb_haproxy_input *in, struct buf *cfg, json_t *files, struct error *err)
{
    const char *addr = str(in->lb, "berthAddress");
    const char *idle = str(json_object_get(in->lb, "berthAttributes"), "idle_timeout.timeout_seconds");
    buf_printf(cfg,
               "# generated by berth for %s; rewritten on every change\n"
               "global\n    stats socket abns@%s level admin\n    server-state-file %s/state\n"
               "    maxconn 4096\n\n"
               "defaults\n    timeout connect 5s\n    timeout client %ss\n    timeout server %ss\n"
               "    timeout http-request 60s\n    load-server-state-from-file global\n"
               "    retries 3\n    option redispatch 1\n\n",
               str(in->lb, "LoadBalancerArn"), in->socket_name, in->dir, idle ? idle : "350", idle ? idle : "350");
    size_t i;
    json_t *l;
    json_array_foreach(in->listeners, i, l) {
        const char *lid = arn_id(str(l, "ListenerArn"));
        bool https = strcmp(str(l, "Protocol"), "HTTPS") == 0, http = https || strcmp(str(l, "Protocol"), "HTTP") == 0;
        long port = (long)json_integer_value(json_object_get(l, "Port"));
        if (https &&
            !json_object_get(in->certs, str(json_array_get(json_object_get(l, "Certificates"), 0), "CertificateArn")))
            continue; /* its certificate cannot be had: not served (elb_tls.c said why) */
        buf_printf(cfg, "frontend l_%s\n    mode %s\n    bind %s:%ld", lid, http ? "http" : "tcp", addr, port);
        if (https)
            tls_bind(cfg, l, in);
        buf_append_char(cfg, '\n');
        if (http)
            buf_printf(cfg,
                       "    option forwardfor\n    http-request set-header X-Forwarded-Proto %s\n"
                       "    http-request set-header X-Forwarded-Port %ld\n",
                       https ? "https" : "http", port);
        json_t *rules = json_object_get(l, "berthRules");
        size_t n;
        json_t *r;
        json_array_foreach(rules, n, r)
            rule_acls(cfg, json_object_get(r, "Conditions"), n);
        json_array_foreach(rules, n, r)
            action_lines(cfg, json_array_get(json_object_get(r, "Actions"), 0), lid, json_object_get(r, "Conditions"),
                         n);
        action_lines(cfg, json_array_get(json_object_get(l, "DefaultActions"), 0), lid, NULL, SIZE_MAX);
        buf_append_char(cfg, '\n');
        json_array_foreach(rules, n, r) {
            char ns[24];
            snprintf(ns, sizeof(ns), "%zu", n);
            action_backend(cfg, json_array_get(json_object_get(r, "Actions"), 0), lid, ns, l, in->dir, files);
        }
        action_backend(cfg, json_array_get(json_object_get(l, "DefaultActions"), 0), lid, "d", l, in->dir, files);
    }
    const char *k;
    json_t *tg;
    json_object_foreach(in->tgs, k, tg)
        tg_backend(cfg, tg, addr);
    if (cfg->failed)
        return error_set(err, ERR_LIMIT, "the proxy configuration of %s is too large", str(in->lb, "LoadBalancerArn"));
    return 0;
}
