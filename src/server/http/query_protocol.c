/* query_protocol.c - the AWS query protocol's request decoding: a form body
 * into the same JSON input the JSON protocols carry, so the handlers and
 * service_model_validate() see one shape whichever protocol spelled it.
 * The XML reply is query_xml.c's.
 *
 * Decoding is driven by the model's input shape: each member is looked up
 * by the name the protocol gives it, never by guessing from the form's
 * names, so a form cannot make a shape the model does not have. */
#include "server/http/query_protocol.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "server/http/http_limits.h"
#include "server/http/service_model.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode n bytes of a form component ('+' is a space) into b. */
static int form_decode(struct buf *b, const char *s, size_t n)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        buf_append_char(b, c);
    }
    return b->failed ? -1 : 0;
}

int query_form_parse(const char *body, size_t len, json_t **ret_form, struct error *err)
{
    _cleanup_json_ json_t *form = json_object();
    _cleanup_buf_ struct buf name, value;
    buf_init(&name, LIMIT_HTTP_BODY);
    buf_init(&value, LIMIT_HTTP_BODY);
    if (!form)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t at = 0; at < len;) {
        const char *start = body + at;
        const char *amp = memchr(start, '&', len - at);
        size_t n = amp ? (size_t)(amp - start) : len - at;
        at += n + 1;
        if (n == 0)
            continue;
        const char *eq = memchr(start, '=', n);
        size_t nlen = eq ? (size_t)(eq - start) : n;
        if (form_decode(&name, start, nlen) < 0 ||
            form_decode(&value, eq ? eq + 1 : start + n, eq ? n - nlen - 1 : 0) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        json_t *v = json_stringn(value.data ? value.data : "", value.len);
        if (!v || strlen(name.data ? name.data : "") != name.len || name.len == 0) {
            json_decref(v);
            return error_set(err, ERR_INVALID,
                             "The request's form body is malformed (a name is empty, or a "
                             "value is not UTF-8).");
        }
        if (json_object_set_new(form, name.data, v) < 0)
            return error_set(err, ERR_INVALID, "The request's form body has a name that is not UTF-8.");
    }
    *ret_form = TAKE_PTR(form);
    return 0;
}

/* One decoding: the model, the form, and its names sorted, so that "is any
 * name under this prefix" is a binary search, not a scan. */
struct qdec {
    const struct service_model *model;
    json_t *form;
    const char **names;
    size_t nnames;
    struct error *err;
};

static int name_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static bool has_prefix(const struct qdec *q, const char *prefix)
{
    size_t lo = 0, hi = q->nnames, plen = strlen(prefix);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(q->names[mid], prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < q->nnames && strncmp(q->names[lo], prefix, plen) == 0;
}

static int decode(struct qdec *q, const char *shape_name, const char *key, int depth, json_t **ret);

static const char *shape_type(json_t *shape) { return json_string_value(json_object_get(shape, "type")); }

static const char *ref_shape(json_t *shape, const char *ref)
{
    return json_string_value(json_object_get(json_object_get(shape, ref), "shape"));
}

/* "key.suffix" (or "suffix" at the root) into a new string. */
static char *join(const char *key, const char *suffix)
{
    char *s = NULL;
    if (asprintf(&s, "%s%s%s", key, *key ? "." : "", suffix) < 0)
        return NULL;
    return s;
}

static int decode_structure(struct qdec *q, json_t *shape, const char *key, int depth, json_t **ret)
{
    if (*key) {
        _cleanup_free_ char *prefix = join(key, "");
        if (!prefix)
            return error_set(q->err, ERR_INTERNAL, "out of memory");
        if (!has_prefix(q, prefix))
            return 0;
    }
    _cleanup_json_ json_t *obj = json_object();
    const char *m;
    json_t *spec;
    json_object_foreach(json_object_get(shape, "members"), m, spec) {
        _cleanup_free_ char *sub = join(key, m);
        json_t *v = NULL;
        if (!sub)
            return error_set(q->err, ERR_INTERNAL, "out of memory");
        if (decode(q, json_string_value(json_object_get(spec, "shape")), sub, depth + 1, &v) < 0)
            return -1;
        if (v)
            json_object_set_new(obj, m, v);
    }
    *ret = TAKE_PTR(obj);
    return 0;
}

/* Lists: "key.member.N" (flattened: "key.N") from 1 on, until one is
 * missing; "key=" alone is the empty list. */
static int decode_list(struct qdec *q, json_t *shape, const char *key, int depth, json_t **ret)
{
    bool flat = json_is_true(json_object_get(shape, "flattened"));
    const char *member = ref_shape(shape, "member");
    _cleanup_json_ json_t *list = json_array();
    for (size_t i = 1;; i++) {
        char idx[48];
        snprintf(idx, sizeof(idx), "%s%zu", flat ? "" : "member.", i);
        _cleanup_free_ char *sub = join(key, idx);
        json_t *v = NULL;
        if (!sub)
            return error_set(q->err, ERR_INTERNAL, "out of memory");
        if (decode(q, member, sub, depth + 1, &v) < 0)
            return -1;
        if (!v)
            break;
        json_array_append_new(list, v);
    }
    if (json_array_size(list) > 0 || json_object_get(q->form, key))
        *ret = TAKE_PTR(list);
    return 0;
}

/* Maps: "key.entry.N.key" and "key.entry.N.value" (flattened: "key.N..."). */
static int decode_map(struct qdec *q, json_t *shape, const char *key, int depth, json_t **ret)
{
    bool flat = json_is_true(json_object_get(shape, "flattened"));
    _cleanup_json_ json_t *map = json_object();
    for (size_t i = 1;; i++) {
        char idx[48];
        snprintf(idx, sizeof(idx), "%s%zu", flat ? "" : "entry.", i);
        _cleanup_free_ char *entry = join(key, idx);
        _cleanup_free_ char *kname = entry ? join(entry, "key") : NULL;
        _cleanup_free_ char *vname = entry ? join(entry, "value") : NULL;
        if (!kname || !vname)
            return error_set(q->err, ERR_INTERNAL, "out of memory");
        const char *k = json_string_value(json_object_get(q->form, kname));
        if (!k)
            break;
        json_t *v = NULL;
        if (decode(q, ref_shape(shape, "value"), vname, depth + 1, &v) < 0)
            return -1;
        json_object_set_new(map, k, v ? v : json_string(""));
    }
    if (json_object_size(map) > 0)
        *ret = TAKE_PTR(map);
    return 0;
}

static int decode_scalar(struct qdec *q, const char *type, const char *key, json_t **ret)
{
    const char *s = json_string_value(json_object_get(q->form, key));
    if (!s)
        return 0;
    if (strcmp(type, "integer") == 0 || strcmp(type, "long") == 0) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*s || *end || errno)
            return error_set(q->err, ERR_INVALID,
                             "Value '%.100s' at '%s' failed to satisfy constraint: Member must be "
                             "an integer",
                             s, key);
        *ret = json_integer(v);
    } else if (strcmp(type, "double") == 0 || strcmp(type, "float") == 0) {
        char *end = NULL;
        double v = strtod(s, &end);
        if (!*s || *end)
            return error_set(q->err, ERR_INVALID,
                             "Value '%.100s' at '%s' failed to satisfy constraint: Member must be "
                             "a number",
                             s, key);
        /* NaN and the infinities: no AWS number member takes one (and a
         * JSON value cannot hold one). */
        if (!isfinite(v))
            return error_set(q->err, ERR_INVALID, "The value %.100s for parameter %s is invalid.", s, key);
        *ret = json_real(v);
    } else if (strcmp(type, "boolean") == 0) {
        if (strcasecmp(s, "true") != 0 && strcasecmp(s, "false") != 0)
            return error_set(q->err, ERR_INVALID,
                             "Value '%.100s' at '%s' failed to satisfy constraint: Member must be "
                             "true or false",
                             s, key);
        *ret = json_boolean(strcasecmp(s, "true") == 0);
    } else {
        /* string, timestamp, blob: as given (the validator knows them). */
        *ret = json_string(s);
    }
    return *ret ? 0 : error_set(q->err, ERR_INTERNAL, "out of memory");
}

static int decode(struct qdec *q, const char *shape_name, const char *key, int depth, json_t **ret)
{
    json_t *shape = service_model_shape(q->model, shape_name);
    const char *type = shape_type(shape);
    if (!type)
        return error_set(q->err, ERR_INTERNAL, "model has no shape %s", shape_name ? shape_name : "(null)");
    if (depth > LIMIT_JSON_DEPTH)
        return error_set(q->err, ERR_INVALID, "The request nests deeper than %d levels at %.100s", LIMIT_JSON_DEPTH,
                         key);
    if (strcmp(type, "structure") == 0)
        return decode_structure(q, shape, key, depth, ret);
    if (strcmp(type, "list") == 0)
        return decode_list(q, shape, key, depth, ret);
    if (strcmp(type, "map") == 0)
        return decode_map(q, shape, key, depth, ret);
    return decode_scalar(q, type, key, ret);
}

int query_protocol_input(const struct service_model *model, const char *op, json_t *form, json_t **ret_in,
                         struct error *err)
{
    const char *input = service_model_input_shape(model, op);
    if (!input) {
        *ret_in = json_object();
        return *ret_in ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    size_t n = json_object_size(form);
    _cleanup_free_ const char **names = calloc(n ? n : 1, sizeof(*names));
    if (!names)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(form, k, v)
        names[i++] = k;
    qsort(names, n, sizeof(*names), name_cmp);
    struct qdec q = {.model = model, .form = form, .names = names, .nnames = n, .err = err};
    json_t *in = NULL;
    if (decode(&q, input, "", 0, &in) < 0)
        return -1;
    *ret_in = in ? in : json_object();
    return *ret_in ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}
