/* elb_ssl.c - ELB's security policies (see elb_ssl.h).  The cipher lists
 * are AWS's own for each policy (OpenSSL names, which AWS uses too); the
 * protocols become HAProxy's ssl-min-ver / ssl-max-ver, the ciphers its
 * "ciphers" (TLS 1.2 and older) and "ciphersuites" (TLS 1.3). */
#include "server/elbv2/elb_ssl.h"

#include <string.h>

#include "common/cleanup.h"

#define C_GCM_ECDHE                                                                                                    \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-"    \
    "SHA384"
#define C_TLS12                                                                                                        \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"     \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384"
#define C_2016                                                                                                         \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:"     \
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:AES128-GCM-SHA256:" \
    "AES128-SHA256:AES128-SHA:AES256-GCM-SHA384:AES256-SHA256:AES256-SHA"
#define C_TLS12_2017 C_TLS12 ":AES128-GCM-SHA256:AES128-SHA256:AES256-GCM-SHA384:AES256-SHA256"
#define S_TLS13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

static const struct elb_ssl_policy policies[] = {
    {"ELBSecurityPolicy-TLS13-1-2-2021-06", "TLSv1.2 TLSv1.3", C_TLS12, S_TLS13},
    {"ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "TLSv1.2 TLSv1.3", C_GCM_ECDHE, S_TLS13},
    {"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "TLSv1.2 TLSv1.3", C_TLS12_2017, S_TLS13},
    {"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", "TLSv1.2 TLSv1.3", C_2016, S_TLS13},
    {"ELBSecurityPolicy-TLS13-1-3-2021-06", "TLSv1.3", "", S_TLS13},
    {"ELBSecurityPolicy-2016-08", "TLSv1 TLSv1.1 TLSv1.2", C_2016, ""},
    {"ELBSecurityPolicy-TLS-1-1-2017-01", "TLSv1.1 TLSv1.2", C_2016, ""},
    {"ELBSecurityPolicy-TLS-1-2-2017-01", "TLSv1.2", C_TLS12_2017, ""},
    {"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "TLSv1.2", C_2016, ""},
    {"ELBSecurityPolicy-FS-1-2-Res-2020-10", "TLSv1.2", C_GCM_ECDHE, ""},
    {"ELBSecurityPolicy-FS-1-2-Res-2019-08", "TLSv1.2", C_TLS12, ""},
    {"ELBSecurityPolicy-FS-1-2-2019-08", "TLSv1.2",
     C_TLS12 ":ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
             "ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA",
     ""},
};

const struct elb_ssl_policy *elb_ssl_policy_find(const char *name)
{
    for (size_t i = 0; name && i < ELEMENTSOF(policies); i++)
        if (strcmp(policies[i].name, name) == 0)
            return &policies[i];
    return NULL;
}

const struct elb_ssl_policy *elb_ssl_policies(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(policies);
    return policies;
}

/* AWS's protocol name as HAProxy's. */
static const char *haproxy_version(const char *aws, size_t len)
{
    static const struct {
        const char *aws, *haproxy;
    } names[] = {{"TLSv1", "TLSv1.0"}, {"TLSv1.1", "TLSv1.1"}, {"TLSv1.2", "TLSv1.2"}, {"TLSv1.3", "TLSv1.3"}};
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        if (strlen(names[i].aws) == len && strncmp(names[i].aws, aws, len) == 0)
            return names[i].haproxy;
    return "TLSv1.2";
}

void elb_ssl_bind_options(const struct elb_ssl_policy *p, struct buf *b)
{
    const char *last = strrchr(p->protocols, ' ');
    last = last ? last + 1 : p->protocols;
    buf_printf(b, " ssl-min-ver %s ssl-max-ver %s", haproxy_version(p->protocols, strcspn(p->protocols, " ")),
               haproxy_version(last, strlen(last)));
    if (*p->ciphers)
        buf_printf(b, " ciphers %s", p->ciphers);
    if (*p->ciphersuites)
        buf_printf(b, " ciphersuites %s", p->ciphersuites);
}
