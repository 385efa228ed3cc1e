/* elb_haproxy.h - one load balancer's HAProxy configuration, generated
 * from its documents (elb_haproxy.c).  Pure: no I/O. */
#pragma once

#include <jansson.h>

#include "common/buf.h"
#include "common/error.h"

struct elb_haproxy_input {
    json_t *lb;              /* the LoadBalancer document (berthAddress, berthAttributes) */
    json_t *listeners;       /* its Listener documents, each with berthRules: its rules by priority */
    json_t *tgs;             /* {TargetGroupArn: TargetGroup document} the listeners and rules forward to */
    const char *dir;         /* where the configuration, state file and response bodies live */
    const char *socket_name; /* the stats socket's abstract name */
    json_t *certs;           /* {CertificateArn: file name under dir} of the HTTPS listeners' certificates */
};

/* Append the configuration to cfg; the files it refers to (fixed-response
 * bodies) are added to files as {name: content} for the caller to write
 * under in->dir.  -1 with ERR_LIMIT when cfg's limit is reached. */
int elb_haproxy_config(const struct elb_haproxy_input *in, struct buf *cfg, json_t *files, struct error *err);
