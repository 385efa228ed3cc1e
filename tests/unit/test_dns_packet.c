/* Unit tests: the DNS wire format of berth's responder - reading a query
 * (names, case, pointers, refusals) and writing answers whose names are
 * compressed against the question. */
#include <stdio.h>
#include <string.h>

#include "server/dns/dns_packet.h"
#include "test.h"

/* A query for name (dotted) of type qtype into buf; its length. */
static size_t make_query(uint8_t *buf, const char *name, uint16_t qtype)
{
    static const uint8_t head[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(buf, head, 12);
    size_t n = 12;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        buf[n++] = (uint8_t)l;
        memcpy(buf + n, p, l);
        n += l;
        p += l + (dot ? 1 : 0);
    }
    buf[n++] = 0;
    buf[n++] = (uint8_t)(qtype >> 8);
    buf[n++] = (uint8_t)qtype;
    buf[n++] = 0;
    buf[n++] = 1;
    return n;
}

TEST(dns_query_parse_reads_one_question)
{
    uint8_t q[300];
    struct dns_query dq;
    size_t n = make_query(q, "Api.Svc.Local", DNS_TYPE_SRV);
    CHECK(dns_query_parse(q, n, &dq) == 0);
    CHECK(dq.id == 0x1234 && dq.qtype == DNS_TYPE_SRV && dq.qclass == DNS_CLASS_IN);
    CHECK(strcmp(dq.name, "api.svc.local") == 0); /* lower case */
    CHECK(dq.question_end == n);
    CHECK(dns_query_parse(q, 11, &dq) == -1);                   /* no header */
    CHECK(dns_query_parse(q, n - 2, &dq) == DNS_RCODE_FORMERR); /* cut short */
    q[2] |= 0x80;
    CHECK(dns_query_parse(q, n, &dq) == -1); /* a response is never answered */
    q[2] = 0x28;                             /* opcode 5 (UPDATE) */
    CHECK(dns_query_parse(q, n, &dq) == DNS_RCODE_NOTIMP);
    q[2] = 0x01;
    q[5] = 2; /* two questions */
    CHECK(dns_query_parse(q, n, &dq) == DNS_RCODE_FORMERR);
}

TEST(dns_names_refuse_loops_and_overruns)
{
    /* a pointer to itself */
    uint8_t loop[] = {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
    struct dns_query dq;
    CHECK(dns_query_parse(loop, sizeof(loop), &dq) == DNS_RCODE_FORMERR);
    /* a label longer than the message */
    uint8_t over[] = {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x3f, 'a', 'b'};
    CHECK(dns_query_parse(over, sizeof(over), &dq) == DNS_RCODE_FORMERR);
    /* a dot inside a label cannot be told from a separator */
    uint8_t dot[] = {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1};
    CHECK(dns_query_parse(dot, sizeof(dot), &dq) == DNS_RCODE_FORMERR);
    /* a name of more than 255 octets */
    uint8_t longname[400];
    char name[300];
    const char *l = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    snprintf(name, sizeof(name), "%s.%s.%s.%s.%s.b", l, l, l, l, l);
    size_t n = make_query(longname, name, DNS_TYPE_A);
    CHECK(dns_query_parse(longname, n, &dq) == DNS_RCODE_FORMERR);
}

TEST(dns_answers_compress_against_the_question)
{
    uint8_t q[300], out[DNS_UDP_MAX];
    struct dns_query dq;
    size_t n = make_query(q, "api.svc.local", DNS_TYPE_SRV);
    CHECK(dns_query_parse(q, n, &dq) == 0);
    struct dns_writer w;
    CHECK(dns_writer_start(&w, out, sizeof(out), &dq, q, DNS_RCODE_NOERROR, true) == 0);
    CHECK(dns_write_srv(&w, DNS_SECTION_ANSWER, dq.name, 10, 1, 1, 8080, "task1.api.svc.local") == 0);
    const uint8_t a[4] = {10, 0, 0, 2};
    CHECK(dns_write_a(&w, DNS_SECTION_ADDITIONAL, "task1.api.svc.local", 10, a) == 0);
    CHECK(out[0] == 0x12 && out[1] == 0x34 && (out[2] & 0x84) == 0x84); /* QR, AA */
    CHECK(out[7] == 1 && out[11] == 1);                                 /* one answer, one additional */
    /* The SRV's owner points at the question; its target is one label and
     * a pointer; the A record's owner points at that target. */
    size_t off = n;
    CHECK(out[off] == 0xc0 && out[off + 1] == 12);
    size_t target = off + 2 + 10 + 6;
    CHECK(out[target] == 5 && memcmp(out + target + 1, "task1", 5) == 0);
    CHECK(out[target + 6] == 0xc0 && out[target + 7] == 12);
    char name[DNS_NAME_MAX];
    size_t at = target;
    CHECK(dns_name_read(out, w.len, &at, name, sizeof(name)) == 0 && strcmp(name, "task1.api.svc.local") == 0);
    at = target + 8;
    CHECK(out[at] == 0xc0 && out[at + 1] == target);
    CHECK(w.len == at + 2 + 10 + 4);
}

TEST(dns_answers_that_do_not_fit_are_left_out)
{
    uint8_t q[300], out[64];
    struct dns_query dq;
    size_t n = make_query(q, "db.x", DNS_TYPE_A);
    CHECK(dns_query_parse(q, n, &dq) == 0);
    struct dns_writer w;
    CHECK(dns_writer_start(&w, out, sizeof(out), &dq, q, DNS_RCODE_NOERROR, true) == 0);
    const uint8_t a[4] = {1, 2, 3, 4};
    int written = 0;
    while (dns_write_a(&w, DNS_SECTION_ANSWER, dq.name, 5, a) == 0)
        written++;
    /* header and question 22 bytes, each record 16 (its owner a pointer) */
    CHECK(written == 2 && w.full && w.len == 22 + 2 * 16);
    CHECK(out[7] == 2);
}

TEST(dns_error_answer_rewrites_a_compressed_question)
{
    /* The question's name continues through a pointer into the query's
     * additional bytes: the answer must not point into the query. */
    uint8_t q[] = {0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 18, 0, 1, 1, 'b', 0, 0, 1, 0, 1};
    struct dns_query dq;
    CHECK(dns_query_parse(q, sizeof(q), &dq) == 0 && strcmp(dq.name, "a.b") == 0);
    uint8_t out[64];
    size_t n = dns_error_answer(out, sizeof(out), &dq, q, DNS_RCODE_SERVFAIL);
    CHECK(n == 12 + 5 + 4 && (out[3] & 0xf) == DNS_RCODE_SERVFAIL);
    CHECK(memcmp(out + 12, "\1a\1b\0", 5) == 0);
}
