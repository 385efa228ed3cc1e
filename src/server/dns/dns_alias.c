/* dns_alias.c - Service Connect's client aliases (see dns_alias.h).  An
 * alias is looked up by its whole name in its store document; A (or ANY)
 * gets the alias's address, every other type an empty NOERROR answer. */
#include "server/dns/dns_alias.h"

#include <arpa/inet.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/service_connect.h"
#include "server/store/store_docs.h"

int dns_alias_answer(struct store_tx *tx, const char *region, const struct dns_query *q, const uint8_t *msg,
                     uint8_t *out, size_t cap, size_t *ret_len, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(tx, SC_ALIAS_KIND, region, q->name, &doc, err);
    if (r <= 0)
        return r;
    struct in_addr addr;
    const char *vip = json_string_value(json_object_get(doc, "vip"));
    if (!vip || inet_pton(AF_INET, vip, &addr) != 1 || json_object_size(json_object_get(doc, "ports")) == 0)
        return 0;
    struct dns_writer w;
    if (dns_writer_start(&w, out, cap, q, msg, DNS_RCODE_NOERROR, true) < 0)
        return 0;
    if (q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_ANY)
        dns_write_a(&w, DNS_SECTION_ANSWER, q->name, DNS_ALIAS_TTL, (const uint8_t *)&addr.s_addr);
    *ret_len = w.len;
    return 1;
}
