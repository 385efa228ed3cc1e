/* dns_packet.c - DNS messages on the wire (see dns_packet.h).
 *
 * Names are compared and compressed in presentation form: a writer
 * remembers where each suffix of a name it wrote starts (the question's
 * name included), and a later name that ends in one of them points there.
 * Nothing here allocates. */
#include "server/dns/dns_packet.h"

#include <ctype.h>
#include <string.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

int dns_name_read(const uint8_t *msg, size_t len, size_t *off, char *out, size_t cap)
{
    size_t pos = *off, end = 0, n = 0;
    int jumps = 0;
    if (cap == 0)
        return -1;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len || ++jumps > DNS_POINTERS_MAX)
                return -1;
            if (!end)
                end = pos + 2;
            pos = (size_t)(get16(msg + pos) & 0x3fff);
            continue;
        }
        if (l & 0xc0)
            return -1; /* the 0x40 and 0x80 label types are obsolete */
        pos++;
        if (l == 0)
            break;
        if (pos + l > len || n + l + 2 > cap || n + l + 1 >= DNS_NAME_MAX)
            return -1;
        if (n)
            out[n++] = '.';
        for (uint8_t i = 0; i < l; i++) {
            char c = (char)msg[pos + i];
            /* A dot or NUL inside a label cannot be told apart from a
             * separator in presentation form: such names are refused. */
            if (c == '.' || c == '\0')
                return -1;
            out[n++] = (char)tolower((unsigned char)c);
        }
        pos += l;
    }
    out[n] = '\0';
    *off = end ? end : pos;
    return 0;
}

int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (len < DNS_HEADER_LEN)
        return -1;
    ret->id = get16(msg);
    ret->flags = get16(msg + 2);
    if (ret->flags & 0x8000)
        return -1; /* a response: never answer one (no loops) */
    if (((ret->flags >> 11) & 0xf) != 0)
        return DNS_RCODE_NOTIMP;
    if (get16(msg + 4) != 1)
        return DNS_RCODE_FORMERR;
    size_t off = DNS_HEADER_LEN;
    if (dns_name_read(msg, len, &off, ret->name, sizeof(ret->name)) < 0 || off + 4 > len)
        return DNS_RCODE_FORMERR;
    ret->qtype = get16(msg + off);
    ret->qclass = get16(msg + off + 2);
    ret->question_end = off + 4;
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

/* Whether the question's name is plain labels (no compression pointer):
 * then its bytes can be copied as they came, case included. */
static bool question_plain(const uint8_t *msg, const struct dns_query *q)
{
    size_t pos = DNS_HEADER_LEN;
    while (pos < q->question_end && msg[pos] != 0) {
        if (msg[pos] & 0xc0)
            return false;
        pos += (size_t)msg[pos] + 1;
    }
    return pos + 1 + 4 == q->question_end;
}

/* The question into buf at DNS_HEADER_LEN: its own bytes when plain, else
 * its name written out again (a pointer would name the query's bytes,
 * not the answer's).  Its length, 0 when it does not fit. */
static size_t put_question(uint8_t *buf, size_t cap, const struct dns_query *q, const uint8_t *msg)
{
    if (q->question_end <= DNS_HEADER_LEN)
        return 0;
    size_t n = q->question_end - DNS_HEADER_LEN;
    if (question_plain(msg, q)) {
        if (DNS_HEADER_LEN + n > cap)
            return 0;
        memcpy(buf + DNS_HEADER_LEN, msg + DNS_HEADER_LEN, n);
        return n;
    }
    size_t pos = DNS_HEADER_LEN;
    for (const char *p = q->name; *p;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || l > 63 || pos + 1 + l > cap)
            return 0;
        buf[pos++] = (uint8_t)l;
        memcpy(buf + pos, p, l);
        pos += l;
        p += l + (dot ? 1 : 0);
    }
    if (pos + 5 > cap)
        return 0;
    buf[pos++] = 0;
    put16(buf + pos, q->qtype);
    put16(buf + pos + 2, q->qclass);
    return pos + 4 - DNS_HEADER_LEN;
}

size_t dns_error_answer(uint8_t *buf, size_t cap, const struct dns_query *q, const uint8_t *msg, int rcode)
{
    if (cap < DNS_HEADER_LEN)
        return 0;
    memset(buf, 0, DNS_HEADER_LEN);
    size_t qlen = put_question(buf, cap, q, msg);
    put16(buf, q->id);
    put16(buf + 2, (uint16_t)(0x8000 | (q->flags & 0x7900) | 0x0080 | (rcode & 0xf)));
    put16(buf + 4, qlen ? 1 : 0);
    return DNS_HEADER_LEN + qlen;
}

int dns_writer_start(struct dns_writer *w, uint8_t *buf, size_t cap, const struct dns_query *q, const uint8_t *msg,
                     int rcode, bool authoritative)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    size_t n = dns_error_answer(buf, cap, q, msg, rcode);
    if (n <= DNS_HEADER_LEN)
        return -1;
    if (authoritative)
        buf[2] |= 0x04;
    w->len = n;
    w->counts[0] = 1;
    return 0;
}

void dns_writer_rcode(struct dns_writer *w, int rcode) { w->buf[3] = (uint8_t)((w->buf[3] & 0xf0) | (rcode & 0xf)); }

void dns_writer_truncated(struct dns_writer *w) { w->buf[2] |= 0x02; }

/* Where the name written at offset off, read back, equals name: the
 * offset to point at, or 0.  Reading back through the writer's own
 * buffer keeps no table of suffixes and costs little at these sizes. */
static size_t find_suffix(const struct dns_writer *w, const char *name)
{
    /* Candidate offsets: every label start in the question and in the
     * records written so far.  Walk the message record by record. */
    size_t off = DNS_HEADER_LEN;
    char have[DNS_NAME_MAX];
    for (size_t pos = off; pos < w->len && pos < 0x3fff; pos++) {
        uint8_t l = w->buf[pos];
        if (l == 0 || (l & 0xc0))
            continue;
        size_t p = pos;
        if (dns_name_read(w->buf, w->len, &p, have, sizeof(have)) == 0 && strcmp(have, name) == 0)
            return pos;
    }
    return 0;
}

/* Append name, compressed against what is written; -1 when invalid or
 * it does not fit. */
static int put_name(struct dns_writer *w, const char *name)
{
    size_t total = strlen(name);
    if (total >= DNS_NAME_MAX - 1)
        return -1;
    const char *p = name;
    while (*p) {
        size_t at = find_suffix(w, p);
        if (at) {
            if (w->len + 2 > w->cap)
                return -1;
            put16(w->buf + w->len, (uint16_t)(0xc000 | at));
            w->len += 2;
            return 0;
        }
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || l > 63 || w->len + 1 + l > w->cap)
            return -1;
        w->buf[w->len++] = (uint8_t)l;
        for (size_t i = 0; i < l; i++)
            w->buf[w->len++] = (uint8_t)tolower((unsigned char)p[i]);
        p += l + (dot ? 1 : 0);
    }
    if (w->len + 1 > w->cap)
        return -1;
    w->buf[w->len++] = 0;
    return 0;
}

/* Owner, type, class, TTL and room for the RDLENGTH: the offset of the
 * RDLENGTH, or 0. */
static size_t rr_head(struct dns_writer *w, const char *owner, uint16_t type, uint32_t ttl)
{
    if (put_name(w, owner) < 0 || w->len + 10 > w->cap)
        return 0;
    put16(w->buf + w->len, type);
    put16(w->buf + w->len + 2, DNS_CLASS_IN);
    put32(w->buf + w->len + 4, ttl);
    w->len += 10;
    return w->len - 2;
}

static int rr_end(struct dns_writer *w, enum dns_section s, size_t rdlen_at)
{
    put16(w->buf + rdlen_at, (uint16_t)(w->len - rdlen_at - 2));
    w->counts[s]++;
    put16(w->buf + 4 + 2 * s, w->counts[s]);
    return 0;
}

static int rr_fail(struct dns_writer *w, size_t mark)
{
    w->len = mark;
    w->full = true;
    return -1;
}

static int write_fixed(struct dns_writer *w, enum dns_section s, const char *owner, uint16_t type, uint32_t ttl,
                       const uint8_t *data, size_t n)
{
    size_t mark = w->len, at = rr_head(w, owner, type, ttl);
    if (!at || w->len + n > w->cap)
        return rr_fail(w, mark);
    memcpy(w->buf + w->len, data, n);
    w->len += n;
    return rr_end(w, s, at);
}

int dns_write_a(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const uint8_t addr[4])
{
    return write_fixed(w, s, owner, DNS_TYPE_A, ttl, addr, 4);
}

int dns_write_aaaa(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const uint8_t addr[16])
{
    return write_fixed(w, s, owner, DNS_TYPE_AAAA, ttl, addr, 16);
}

int dns_write_srv(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, uint16_t priority,
                  uint16_t weight, uint16_t port, const char *target)
{
    size_t mark = w->len, at = rr_head(w, owner, DNS_TYPE_SRV, ttl);
    if (!at || w->len + 6 > w->cap)
        return rr_fail(w, mark);
    put16(w->buf + w->len, priority);
    put16(w->buf + w->len + 2, weight);
    put16(w->buf + w->len + 4, port);
    w->len += 6;
    if (put_name(w, target) < 0)
        return rr_fail(w, mark);
    return rr_end(w, s, at);
}

int dns_write_cname(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const char *target)
{
    size_t mark = w->len, at = rr_head(w, owner, DNS_TYPE_CNAME, ttl);
    if (!at || put_name(w, target) < 0)
        return rr_fail(w, mark);
    return rr_end(w, s, at);
}

int dns_write_soa(struct dns_writer *w, enum dns_section s, const char *owner, uint32_t ttl, const struct dns_soa *soa)
{
    size_t mark = w->len, at = rr_head(w, owner, DNS_TYPE_SOA, ttl);
    if (!at || put_name(w, soa->mname) < 0 || put_name(w, soa->rname) < 0 || w->len + 20 > w->cap)
        return rr_fail(w, mark);
    const uint32_t v[5] = {soa->serial, soa->refresh, soa->retry, soa->expire, soa->minimum};
    for (int i = 0; i < 5; i++)
        put32(w->buf + w->len + 4 * (size_t)i, v[i]);
    w->len += 20;
    return rr_end(w, s, at);
}
