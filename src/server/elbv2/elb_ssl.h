/* elb_ssl.h - Elastic Load Balancing's security policies (the
 * ELBSecurityPolicy-* names AWS publishes) with their protocols and
 * ciphers, and how each is said to HAProxy on an HTTPS listener's bind
 * line (elb_ssl.c).  Pure: a constant table. */
#pragma once

#include <stddef.h>

#include "common/buf.h"

/* The policy HTTPS listeners get when none is given (the API's default). */
#define ELB_SSL_POLICY_DEFAULT "ELBSecurityPolicy-2016-08"

struct elb_ssl_policy {
    const char *name;
    const char *protocols;    /* AWS's names, space-separated: "TLSv1 TLSv1.1 TLSv1.2" */
    const char *ciphers;      /* TLS 1.2 and older: OpenSSL names (AWS uses them), colon-separated */
    const char *ciphersuites; /* TLS 1.3 suites, colon-separated ("" when the policy has no TLS 1.3) */
};

/* The policy called name, or NULL. */
const struct elb_ssl_policy *elb_ssl_policy_find(const char *name);
/* Every policy, in the order DescribeSSLPolicies lists them. */
const struct elb_ssl_policy *elb_ssl_policies(size_t *ret_n);
/* The policy as HAProxy bind options (" ssl-min-ver ... ciphers ..."). */
void elb_ssl_bind_options(const struct elb_ssl_policy *p, struct buf *b);
