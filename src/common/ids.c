/* ids.c - random identifiers (task ids, request ids, tokens). */
#include "common/ids.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static int getrandom_all(uint8_t *buf, size_t n)
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

/* Each thread draws from a pool filled by one getrandom of POOL_BYTES: a
 * syscall per request id was 1.5% of the server's time on the API mix.
 * Bytes are used once; a forked child starts with an empty pool, so it
 * never repeats its parent's. */
#define POOL_BYTES 512
static __thread uint8_t pool[POOL_BYTES];
static __thread size_t pool_left;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_forget(void) { pool_left = 0; }
static void atfork_register(void) { pthread_atfork(NULL, NULL, pool_forget); }

static int fill_random(uint8_t *buf, size_t n)
{
    if (n > POOL_BYTES / 4)
        return getrandom_all(buf, n);
    pthread_once(&atfork_once, atfork_register);
    if (pool_left < n) {
        if (getrandom_all(pool, POOL_BYTES) < 0)
            return -1;
        pool_left = POOL_BYTES;
    }
    uint8_t *from = pool + POOL_BYTES - pool_left;
    memcpy(buf, from, n);
    explicit_bzero(from, n);
    pool_left -= n;
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
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
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
