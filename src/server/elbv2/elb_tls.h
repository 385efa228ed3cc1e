/* elb_tls.h - the certificates of a load balancer's HTTPS listeners as
 * files HAProxy reads (elb_tls.c): each ACM certificate with its chain and
 * its private key, unsealed only to be written 0600 into the load
 * balancer's 0700 directory, never logged. */
#pragma once

#include <jansson.h>

#include "common/error.h"

struct store_tx;
struct secret_box;

/* The certificates the HTTPS listeners among listeners use: *ret_certs
 * {CertificateArn: file name}, *ret_docs {file name: ACM document}.  The
 * name carries a fingerprint of the certificate, chain and sealed key, so
 * a re-import names a new file (and so changes the configuration). A
 * certificate that cannot be read is left out. */
void elb_tls_certs(struct store_tx *tx, json_t *listeners, json_t *ret_certs, json_t *ret_docs);
/* Write the files of docs (from elb_tls_certs) not yet in dir (created
 * 0700), 0600 each, and remove the certificate files no longer named. */
int elb_tls_write(const struct secret_box *box, const char *dir, json_t *docs, struct error *err);
