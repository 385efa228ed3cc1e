/* acm_pem.c - imported certificates checked and described with OpenSSL
 * (see acm_pem.h).  The private key is only parsed and compared with the
 * certificate's public key; it is never copied, printed or put in an
 * error message. */
#include "server/acm/acm_pem.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"

static BIO *mem(const char *s, size_t len) { return BIO_new_mem_buf(s, (int)len); }

/* An ASN.1 time as epoch seconds (0 when unreadable). */
static json_int_t epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (json_int_t)timegm(&tm);
}

/* X509_NAME in ACM's form: "CN=example.com,O=Example". */
static json_t *name_text(const X509_NAME *n)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return NULL;
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    json_t *s = json_stringn(data ? data : "", len > 0 ? (size_t)len : 0);
    BIO_free(b);
    return s;
}

static json_t *common_name(X509 *x)
{
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
    return json_string(cn);
}

static json_t *alt_names(X509 *x, const char *cn)
{
    json_t *list = json_array();
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_DNS)
            json_array_append_new(list, json_stringn((const char *)ASN1_STRING_get0_data(g->d.dNSName),
                                                     (size_t)ASN1_STRING_length(g->d.dNSName)));
    }
    GENERAL_NAMES_free(names);
    if (json_array_size(list) == 0 && *cn)
        json_array_append_new(list, json_string(cn));
    return list;
}

/* ACM's KeyAlgorithm names: RSA_2048, EC_prime256v1, ... */
static json_t *key_algorithm(EVP_PKEY *pk)
{
    char out[64] = "";
    int bits = EVP_PKEY_get_bits(pk);
    if (EVP_PKEY_base_id(pk) == EVP_PKEY_RSA) {
        snprintf(out, sizeof(out), "RSA_%d", bits);
    } else if (EVP_PKEY_base_id(pk) == EVP_PKEY_EC) {
        char curve[48] = "";
        EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve), NULL);
        snprintf(out, sizeof(out), "EC_%s",
                 strcmp(curve, "P-256") == 0   ? "prime256v1"
                 : strcmp(curve, "P-384") == 0 ? "secp384r1"
                 : strcmp(curve, "P-521") == 0 ? "secp521r1"
                                               : curve);
    } else {
        snprintf(out, sizeof(out), "%s", OBJ_nid2sn(EVP_PKEY_base_id(pk)));
    }
    return json_string(out);
}

static json_t *serial_text(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    /* ACM spells it as colon-separated lower-case octets. */
    char out[256] = "";
    size_t o = 0, n = hex ? strlen(hex) : 0;
    for (size_t i = n % 2 ? 0 : 0; hex && i < n && o + 4 < sizeof(out); i++) {
        if (i > 0 && (n - i) % 2 == 0)
            out[o++] = ':';
        out[o++] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
    }
    out[o] = '\0';
    OPENSSL_free(hex);
    BN_free(bn);
    return json_string(out);
}

static json_t *usages(X509 *x, bool extended)
{
    json_t *list = json_array();
    if (!extended) {
        static const struct {
            uint32_t bit;
            const char *name;
        } bits[] = {{KU_DIGITAL_SIGNATURE, "DIGITAL_SIGNATURE"},
                    {KU_NON_REPUDIATION, "NON_REPUDIATION"},
                    {KU_KEY_ENCIPHERMENT, "KEY_ENCIPHERMENT"},
                    {KU_DATA_ENCIPHERMENT, "DATA_ENCIPHERMENT"},
                    {KU_KEY_AGREEMENT, "KEY_AGREEMENT"},
                    {KU_KEY_CERT_SIGN, "CERTIFICATE_SIGNING"},
                    {KU_CRL_SIGN, "CRL_SIGNING"},
                    {KU_ENCIPHER_ONLY, "ENCIPHER_ONLY"},
                    {KU_DECIPHER_ONLY, "DECIPHER_ONLY"}};
        uint32_t ku = X509_get_key_usage(x);
        for (size_t i = 0; ku != UINT32_MAX && i < ELEMENTSOF(bits); i++)
            if (ku & bits[i].bit)
                json_array_append_new(list, json_pack("{s:s}", "Name", bits[i].name));
        return list;
    }
    static const struct {
        uint32_t bit;
        const char *name, *oid;
    } xbits[] = {{XKU_SSL_SERVER, "TLS_WEB_SERVER_AUTHENTICATION", "1.3.6.1.5.5.7.3.1"},
                 {XKU_SSL_CLIENT, "TLS_WEB_CLIENT_AUTHENTICATION", "1.3.6.1.5.5.7.3.2"},
                 {XKU_CODE_SIGN, "CODE_SIGNING", "1.3.6.1.5.5.7.3.3"},
                 {XKU_SMIME, "EMAIL_PROTECTION", "1.3.6.1.5.5.7.3.4"},
                 {XKU_TIMESTAMP, "TIME_STAMPING", "1.3.6.1.5.5.7.3.8"},
                 {XKU_OCSP_SIGN, "OCSP_SIGNING", "1.3.6.1.5.5.7.3.9"}};
    uint32_t xku = X509_get_extended_key_usage(x);
    for (size_t i = 0; xku != UINT32_MAX && i < ELEMENTSOF(xbits); i++)
        if (xku & xbits[i].bit)
            json_array_append_new(list, json_pack("{s:s, s:s}", "Name", xbits[i].name, "OID", xbits[i].oid));
    return list;
}

/* The chain: every block must be a certificate. */
static int check_chain(const char *chain, size_t len, struct error *err)
{
    if (!chain)
        return 0;
    BIO *b = mem(chain, len);
    int count = 0;
    X509 *x;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        X509_free(x);
        count++;
    }
    BIO_free(b);
    if (count == 0)
        return error_set(err, ERR_INVALID, "The certificate chain is not a PEM-encoded certificate chain.");
    return 0;
}

static int cert_one(const char *cert, size_t len, X509 **ret, struct error *err)
{
    BIO *b = mem(cert, len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    X509 *extra = x ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!x)
        return error_set(err, ERR_INVALID, "The certificate field must contain exactly one PEM-encoded certificate.");
    if (extra) {
        X509_free(extra);
        X509_free(x);
        return error_set(err, ERR_INVALID,
                         "The certificate field contains more than one certificate; put the others in the chain.");
    }
    *ret = x;
    return 0;
}

int acm_pem_check(const char *cert, size_t cert_len, const char *key, size_t key_len, const char *chain,
                  size_t chain_len, json_t **ret_info, struct error *err)
{
    X509 *x = NULL;
    if (cert_one(cert, cert_len, &x, err) < 0)
        return -1;
    BIO *kb = mem(key, key_len);
    /* No password callback: an encrypted key is refused, as ACM does. */
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
    BIO_free(kb);
    int r = 0;
    if (!pk)
        r = error_set(err, ERR_INVALID, "The private key is not a supported, unencrypted PEM private key.");
    else if (EVP_PKEY_eq(pk, X509_get0_pubkey(x)) != 1)
        r = error_set(err, ERR_INVALID, "The private key does not match the public key in the certificate.");
    else
        r = check_chain(chain, chain_len, err);
    if (r == 0) {
        _cleanup_json_ json_t *cn = common_name(x);
        int sig = X509_get_signature_nid(x);
        json_t *info = json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:s, s:o, s:o}", "DomainName", json_string(json_string_value(cn)),
            "SubjectAlternativeNames", alt_names(x, json_string_value(cn)), "Subject",
            name_text(X509_get_subject_name(x)), "Issuer", name_text(X509_get_issuer_name(x)), "Serial", serial_text(x),
            "NotBefore", epoch(X509_get0_notBefore(x)), "NotAfter", epoch(X509_get0_notAfter(x)), "KeyAlgorithm",
            key_algorithm(pk), "SignatureAlgorithm", sig != NID_undef ? OBJ_nid2ln(sig) : "UNKNOWN", "KeyUsages",
            usages(x, false), "ExtendedKeyUsages", usages(x, true));
        if (!info)
            r = error_set(err, ERR_INTERNAL, "out of memory");
        else
            *ret_info = info;
    }
    EVP_PKEY_free(pk);
    X509_free(x);
    return r;
}
