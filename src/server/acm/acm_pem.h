/* acm_pem.h - an imported certificate read with OpenSSL: the PEM
 * certificate, its private key and chain checked (one certificate, a key
 * that matches it, chain certificates that parse) and what ACM shows of
 * it.  Pure: no store, no I/O. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

/* Check cert (one PEM certificate), key (its unencrypted PEM private key)
 * and chain (PEM certificates, may be NULL); each len bytes given.  On
 * success *ret_info is a new object: DomainName, SubjectAlternativeNames,
 * Subject, Issuer, Serial, NotBefore, NotAfter (epoch seconds),
 * KeyAlgorithm, SignatureAlgorithm, KeyUsages, ExtendedKeyUsages.  -1 with
 * ERR_INVALID naming what is wrong (never the key's content). */
int acm_pem_check(const char *cert, size_t cert_len, const char *key, size_t key_len, const char *chain,
                  size_t chain_len, json_t **ret_info, struct error *err);
