/* elb_certs.c - HTTPS listeners' certificates and security policies: the
 * checks CreateListener and ModifyListener make of Certificates and
 * SslPolicy, AddListenerCertificates / RemoveListenerCertificates /
 * DescribeListenerCertificates (the extra certificates HAProxy picks by
 * SNI, kept as the listener's berthCertificates), DescribeSSLPolicies.
 *
 * Certificates are ACM's (server/acm/): an ARN of this region's imported
 * certificates.  IAM server certificates are not kept by berth. */
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/acm/acm.h"
#include "server/elbv2/elb.h"
#include "server/elbv2/elb_ssl.h"
#include "server/http/paging.h"
#include "server/store/store_docs.h"
#include "server/store/store_elb.h"

/* A certificate given as input: AWS sets IsDefault in output only (the
 * default is the one CreateListener or ModifyListener gave), and refuses
 * it in input, even false. */
static int cert_input(json_t *cert, struct error *err)
{
    if (json_object_get(cert, "IsDefault"))
        return error_set(err, ERR_INVALID, "You cannot set the isDefault parameter for a certificate.");
    return 0;
}

/* Check that arn is an ACM certificate of this region. */
static int cert_exists(struct op_ctx *ctx, const char *arn, struct error *err)
{
    if (!arn)
        return error_set(err, ERR_INVALID, "A certificate needs its CertificateArn.");
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, ACM_DOC_KIND, ctx->region, arn, &doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ELB_ERR_CERT_NOT_FOUND,
                         "Certificate '%s' not found (berth serves certificates imported into ACM in this region).",
                         arn);
    return 0;
}

int elb_listener_tls(struct op_ctx *ctx, const char *proto, json_t *in, json_t *old, json_t *ret, struct error *err)
{
    bool was_https = old && strcmp(elb_str(old, "Protocol"), "HTTPS") == 0;
    /* Only Mode off is honest: berth's listeners verify no client
     * certificates (and so take no trust store). */
    json_t *mtls = json_object_get(in, "MutualAuthentication");
    const char *mode = elb_str(mtls, "Mode");
    if (mtls && (!mode || strcmp(mode, "off") != 0 || json_object_size(mtls) != 1))
        return error_set(err, ERR_INVALID,
                         "MutualAuthentication is not supported by berth: listeners verify no client certificates "
                         "(only Mode off).");
    if (strcmp(proto, "HTTPS") != 0) {
        if (json_object_get(in, "SslPolicy") || json_object_get(in, "Certificates") ||
            json_object_get(in, "AlpnPolicy"))
            return error_set(err, ERR_INVALID, "A %s listener takes no SslPolicy, Certificates or AlpnPolicy.", proto);
        return 0;
    }
    if (json_object_get(in, "AlpnPolicy"))
        return error_set(err, ERR_INVALID, "AlpnPolicy applies to TLS listeners, not HTTPS ones.");
    json_t *certs = json_object_get(in, "Certificates");
    if (!certs && was_https)
        certs = json_object_get(old, "Certificates");
    if (json_array_size(certs) != 1)
        return error_set(err, ERR_INVALID,
                         "An HTTPS listener needs exactly one default certificate in Certificates "
                         "(add more with AddListenerCertificates).");
    if (cert_input(json_array_get(certs, 0), err) < 0)
        return -1;
    const char *arn = elb_str(json_array_get(certs, 0), "CertificateArn");
    if (cert_exists(ctx, arn, err) < 0)
        return -1;
    const char *policy = elb_str(in, "SslPolicy");
    if (!policy)
        policy = was_https ? elb_str(old, "SslPolicy") : ELB_SSL_POLICY_DEFAULT;
    if (!elb_ssl_policy_find(policy))
        return error_set(err, ELB_ERR_SSL_POLICY_NOT_FOUND, "SSL policy '%s' not found.", policy);
    json_object_set_new(ret, "Certificates", json_pack("[{s:s}]", "CertificateArn", arn));
    json_object_set_new(ret, "SslPolicy", json_string(policy));
    return 0;
}

/* The listener of in's ListenerArn, which must be HTTPS. */
static int https_listener(struct op_ctx *ctx, json_t *in, json_t **ret, struct error *err)
{
    if (elb_find(ctx, STORE_ELB_LISTENER, elb_str(in, "ListenerArn"), ret, err) < 0)
        return -1;
    if (strcmp(elb_str(*ret, "Protocol"), "HTTPS") != 0)
        return error_set(err, ERR_INVALID,
                         "Listener '%s' is not an HTTPS listener; only HTTPS listeners have "
                         "certificates.",
                         elb_str(*ret, "ListenerArn"));
    return 0;
}

static bool cert_in(json_t *list, const char *arn)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        if (strcmp(elb_str(c, "CertificateArn"), arn) == 0)
            return true;
    }
    return false;
}

API_ACTION(elb_add_listener_certificates)
{
    _cleanup_json_ json_t *doc = NULL;
    json_t *given = json_object_get(in, "Certificates");
    if (https_listener(ctx, in, &doc, err) < 0)
        return -1;
    if (json_array_size(given) != 1)
        return error_set(err, ERR_INVALID, "Certificates: you can specify one certificate per call.");
    const char *arn = elb_str(json_array_get(given, 0), "CertificateArn");
    if (cert_input(json_array_get(given, 0), err) < 0 || cert_exists(ctx, arn, err) < 0)
        return -1;
    json_t *extra = json_object_get(doc, "berthCertificates");
    if (!extra) {
        extra = json_array();
        json_object_set_new(doc, "berthCertificates", extra);
    }
    /* The default may be in the list too (DescribeListenerCertificates
     * then shows it twice, as ELB does). */
    if (!cert_in(extra, arn)) {
        if (json_array_size(extra) >= ELB_CERTS_MAX)
            return error_set(err, ELB_ERR_TOO_MANY_CERTS,
                             "A listener can have at most %d certificates besides its "
                             "default.",
                             ELB_CERTS_MAX);
        json_array_append_new(extra, json_pack("{s:s}", "CertificateArn", arn));
        if (elb_save(ctx, STORE_ELB_LISTENER, doc, err) < 0)
            return -1;
    }
    json_object_set_new(out, "Certificates", json_pack("[{s:s, s:b}]", "CertificateArn", arn, "IsDefault", 0));
    return 0;
}

API_ACTION(elb_remove_listener_certificates)
{
    (void)out;
    _cleanup_json_ json_t *doc = NULL;
    json_t *given = json_object_get(in, "Certificates");
    if (https_listener(ctx, in, &doc, err) < 0)
        return -1;
    if (json_array_size(given) != 1)
        return error_set(err, ERR_INVALID, "Certificates: you can specify one certificate per call.");
    json_t *c = json_array_get(given, 0);
    const char *arn = elb_str(c, "CertificateArn");
    if (!arn)
        return error_set(err, ERR_INVALID, "A certificate needs its CertificateArn.");
    if (cert_input(c, err) < 0)
        return -1;
    json_t *extra = json_object_get(doc, "berthCertificates");
    /* From the list; the default (when not in the list too) stays: ModifyListener changes it. */
    if (!cert_in(extra, arn)) {
        if (cert_in(json_object_get(doc, "Certificates"), arn))
            return error_set(err, ELB_ERR_OPERATION_NOT_PERMITTED,
                             "The default certificate of a listener cannot be removed; ModifyListener changes it.");
        return 0;
    }
    for (size_t k = 0; k < json_array_size(extra); k++) {
        if (strcmp(elb_str(json_array_get(extra, k), "CertificateArn"), arn) == 0)
            json_array_remove(extra, k--);
    }
    return elb_save(ctx, STORE_ELB_LISTENER, doc, err);
}

/* The marker of all's item i: its key member, or (key NULL: items may
 * repeat, as the default certificate does when it is in the list too)
 * its position. */
static const char *marker_of(json_t *all, size_t i, const char *key, char *buf, size_t cap)
{
    if (key)
        return elb_str(json_array_get(all, i), key);
    snprintf(buf, cap, "%zu", i);
    return buf;
}

/* Append the items of all (sorted by key member) after page->after, at
 * most page->limit, with NextMarker when more remain. */
static int page_out(struct op_ctx *ctx, json_t *all, const char *key, const char *member, const struct page *page,
                    json_t *out)
{
    json_t *items = json_array();
    json_object_set_new(out, member, items);
    bool started = !page->after;
    char buf[24];
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) {
        if (!started) {
            started = strcmp(marker_of(all, i, key, buf, sizeof(buf)), page->after) == 0;
            continue;
        }
        if ((int)json_array_size(items) >= page->limit)
            return page_set_next_as(out, ctx->action, "NextMarker", marker_of(all, i - 1, key, buf, sizeof(buf)));
        json_array_append(items, v);
    }
    return 0;
}

API_ACTION(elb_describe_listener_certificates)
{
    _cleanup_json_ json_t *doc = NULL;
    _cleanup_(page_free) struct page page = {0};
    if (page_begin_as(in, ctx->action, "PageSize", "Marker", ELB_PAGE_MAX, ELB_PAGE_MAX, &page, err) < 0 ||
        elb_find(ctx, STORE_ELB_LISTENER, elb_str(in, "ListenerArn"), &doc, err) < 0)
        return -1;
    _cleanup_json_ json_t *all = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "Certificates"), i, c)
        json_array_append_new(
            all, json_pack("{s:O, s:b}", "CertificateArn", json_object_get(c, "CertificateArn"), "IsDefault", 1));
    json_array_foreach(json_object_get(doc, "berthCertificates"), i, c)
        json_array_append_new(
            all, json_pack("{s:O, s:b}", "CertificateArn", json_object_get(c, "CertificateArn"), "IsDefault", 0));
    if (page_out(ctx, all, NULL, "Certificates", &page, out) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

/* A policy as DescribeSSLPolicies shows it (new reference). */
static json_t *show_policy(const struct elb_ssl_policy *p)
{
    json_t *protocols = json_array(), *ciphers = json_array();
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", p->protocols);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        json_array_append_new(protocols, json_string(t));
    int prio = 1;
    const char *lists[] = {p->ciphersuites, p->ciphers};
    for (size_t k = 0; k < ELEMENTSOF(lists); k++) {
        snprintf(buf, sizeof(buf), "%s", lists[k]);
        for (char *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save))
            json_array_append_new(ciphers, json_pack("{s:s, s:i}", "Name", t, "Priority", prio++));
    }
    return json_pack("{s:s, s:o, s:o, s:[s]}", "Name", p->name, "SslProtocols", protocols, "Ciphers", ciphers,
                     "SupportedLoadBalancerTypes", "application");
}

API_ACTION(elb_describe_ssl_policies)
{
    _cleanup_(page_free) struct page page = {0};
    if (page_begin_as(in, ctx->action, "PageSize", "Marker", ELB_PAGE_MAX, ELB_PAGE_MAX, &page, err) < 0)
        return -1;
    const char *type = elb_str(in, "LoadBalancerType");
    if (type && strcmp(type, "application") != 0)
        return error_set(err, ERR_INVALID,
                         "berth's security policies are for application load balancers' HTTPS "
                         "listeners (TLS listeners are not supported).");
    _cleanup_json_ json_t *all = json_array();
    json_t *names = json_object_get(in, "Names");
    size_t n, i;
    json_t *v;
    const struct elb_ssl_policy *list = elb_ssl_policies(&n);
    json_array_foreach(names, i, v) {
        const struct elb_ssl_policy *p = elb_ssl_policy_find(json_string_value(v));
        if (!p)
            return error_set(err, ELB_ERR_SSL_POLICY_NOT_FOUND, "SSL policy '%s' not found.", json_string_value(v));
        json_array_append_new(all, show_policy(p));
    }
    for (i = 0; !names && i < n; i++)
        json_array_append_new(all, show_policy(&list[i]));
    if (page_out(ctx, all, "Name", "SslPolicies", &page, out) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}
