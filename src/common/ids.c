/* ids.c - random identifiers (task ids, request ids, tokens). */
#include "common/ids.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

static int fill_random(uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

int ids_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t buf[64];
    if (nbytes > sizeof(buf) || fill_random(buf, nbytes) < 0)
        return -1;
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[buf[i] >> 4];
        out[2 * i + 1] = hex[buf[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return 0;
}

int ids_uuid(char out[37])
{
    uint8_t b[16];
    if (fill_random(b, sizeof(b)) < 0)
        return -1;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

int ids_time_hex(char out[33])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    static const char hex[] = "0123456789abcdef";
    for (int i = 11; i >= 0; i--, ms >>= 4)
        out[i] = hex[ms & 15];
    return ids_random_hex(out + 12, 10);
}

void ids_derived_hex(const char *id, size_t len, char *out, size_t nhex)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(id, len, md, &mdlen, EVP_sha256(), NULL);
    if (nhex > 2 * (size_t)mdlen)
        nhex = 2 * (size_t)mdlen;
    for (size_t i = 0; i < nhex; i++)
        out[i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[nhex] = '\0';
}
