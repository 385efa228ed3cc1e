/* fuzz_dns.c - libFuzzer target for the DNS packet code the responder runs
 * on every datagram: any input is either refused or read into a query
 * whose answer - records named after the query's own name, compressed
 * against it - reads back to the same names, never past the buffer.
 *
 *   make build/fuzz/fuzz_dns && build/fuzz/fuzz_dns -max_total_time=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/dns/dns_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read back the owner name of the record at *off and skip the record. */
static void expect_record(const uint8_t *msg, size_t len, size_t *off, const char *want)
{
    char name[DNS_NAME_MAX];
    if (dns_name_read(msg, len, off, name, sizeof(name)) < 0 || strcmp(name, want) != 0 || *off + 10 > len)
        abort();
    size_t rdlen = (size_t)(msg[*off + 8] << 8 | msg[*off + 9]);
    *off += 10 + rdlen;
    if (*off > len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_query q;
    uint8_t out[DNS_UDP_MAX];
    int rc = dns_query_parse(data, size, &q);
    if (rc != 0) {
        if (rc > 0 && dns_error_answer(out, sizeof(out), &q, data, rc) > sizeof(out))
            abort();
        return 0;
    }
    if (q.question_end > size || strlen(q.name) >= DNS_NAME_MAX)
        abort();
    struct dns_writer w;
    if (dns_writer_start(&w, out, sizeof(out), &q, data, DNS_RCODE_NOERROR, true) < 0)
        return 0; /* a question longer than an answer may be */
    static const uint8_t addr[16] = {10, 0, 0, 1};
    char target[DNS_NAME_MAX + 8];
    snprintf(target, sizeof(target), q.name[0] ? "x.%s" : "x", q.name);
    int wrote_a = dns_write_a(&w, DNS_SECTION_ANSWER, q.name, 5, addr);
    int wrote_srv = dns_write_srv(&w, DNS_SECTION_ANSWER, q.name, 5, 1, 1, 80, target);
    struct dns_soa soa = {q.name, "hostmaster", 1, 2, 3, 4, 5};
    int wrote_soa = dns_write_soa(&w, DNS_SECTION_AUTHORITY, q.name, 5, &soa);
    if (w.len > sizeof(out))
        abort();
    /* Everything written reads back: the question, then each record. */
    struct dns_query again;
    if (dns_query_parse(out, w.len, &again) != -1) /* it is a response now */
        abort();
    size_t off = DNS_HEADER_LEN;
    char name[DNS_NAME_MAX];
    if (dns_name_read(out, w.len, &off, name, sizeof(name)) < 0 || strcmp(name, q.name) != 0)
        abort();
    off += 4;
    if (wrote_a == 0)
        expect_record(out, w.len, &off, q.name);
    if (wrote_srv == 0) {
        size_t at = off;
        if (dns_name_read(out, w.len, &at, name, sizeof(name)) < 0)
            abort();
        at += 10 + 6; /* type, class, TTL, length; priority, weight, port */
        expect_record(out, w.len, &off, q.name);
        if (strlen(target) < DNS_NAME_MAX - 1 &&
            (dns_name_read(out, w.len, &at, name, sizeof(name)) < 0 || strcmp(name, target) != 0))
            abort();
    }
    if (wrote_soa == 0)
        expect_record(out, w.len, &off, q.name);
    if (off != w.len)
        abort();
    return 0;
}
