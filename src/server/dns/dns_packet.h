/* dns_packet.h - DNS messages on the wire (RFC 1035): reading a query's
 * header and single question, and writing an answer record by record with
 * name compression against the question.  Pure: no sockets, no store; the
 * fuzz target bench/fuzz_dns.c drives the reader. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/dns/dns_limits.h"

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_SRV = 33,
    DNS_TYPE_ANY = 255,
};

enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
};

#define DNS_CLASS_IN 1
#define DNS_HEADER_LEN 12

struct dns_query {
    uint16_t id;
    uint16_t flags; /* the query's flags word (RD is echoed) */
    uint16_t qtype, qclass;
    char name[DNS_NAME_MAX]; /* lower case, dot separated, no final dot; "" for the root */
    size_t question_end;     /* offset just past the question */
};

/* Read a query: 0 and *ret filled; -1 when it cannot be answered at all
 * (shorter than a header, or a response); otherwise the rcode to answer
 * with (FORMERR, NOTIMP) and *ret's id and flags filled. */
int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *ret);

/* Read the name at *off of msg into out (presentation form, lower case):
 * follows at most DNS_POINTERS_MAX compression pointers, never leaves msg.
 * 0 with *off past the name in place, -1 malformed. */
int dns_name_read(const uint8_t *msg, size_t len, size_t *off, char *out, size_t cap);

/* An answer being written into a caller's buffer. */
struct dns_writer {
    uint8_t *buf;
    size_t cap, len;
    uint16_t counts[4]; /* question, answer, authority, additional */
    bool full;          /* something did not fit: it was left out */
};

enum dns_section { DNS_SECTION_ANSWER = 1, DNS_SECTION_AUTHORITY = 2, DNS_SECTION_ADDITIONAL = 3 };

/* Start an answer to q (its question copied back from msg) with rcode;
 * AA when authoritative.  -1 when even that does not fit in cap. */
int dns_writer_start(struct dns_writer *w, uint8_t *buf, size_t cap, const struct dns_query *q, const uint8_t *msg,
                     int rcode, bool authoritative);
/* Set the rcode, or the TC bit. */
void dns_writer_rcode(struct dns_writer *w, int rcode);
void dns_writer_truncated(struct dns_writer *w);

/* Records; owner and target names in presentation form.  Each returns -1
 * (and leaves the answer as it was) when the record does not fit or a name
 * is not a valid name. */
int dns_write_a(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const uint8_t addr[4]);
int dns_write_aaaa(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const uint8_t addr[16]);
int dns_write_srv(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, uint16_t priority,
                  uint16_t weight, uint16_t port, const char *target);
int dns_write_cname(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const char *target);
struct dns_soa {
    const char *mname, *rname;
    uint32_t serial, refresh, retry, expire, minimum;
};
int dns_write_soa(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const struct dns_soa *soa);

/* A bare answer with rcode and no records (SERVFAIL, REFUSED...), for a
 * query that could be read at least as far as its header: its question is
 * copied when q->question_end is set.  Returns the length, 0 if nothing
 * can be written. */
size_t dns_error_answer(uint8_t *buf, size_t cap, const struct dns_query *q, const uint8_t *msg, int rcode);
