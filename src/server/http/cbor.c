/* cbor.c - a small CBOR decoder and encoder (see cbor.h).  Nesting is
 * bounded, every length is checked against what is left of the input. */
#include "server/http/cbor.h"

#include <math.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/http/service_model.h"

#define CBOR_DEPTH_MAX 64
#define CBOR_BREAK 0xff

struct reader {
    const uint8_t *p, *end;
    struct error *err;
};

static int bad(struct reader *r, const char *what)
{
    return error_set(r->err, API_ERR_SERIALIZATION, "Malformed CBOR body: %s.", what);
}

/* The argument of an item head: 0-23 inline, else 1, 2, 4 or 8 bytes;
 * *indefinite for additional info 31. */
static int argument(struct reader *r, uint8_t info, uint64_t *ret, bool *indefinite)
{
    *indefinite = false;
    if (info < 24) {
        *ret = info;
        return 0;
    }
    if (info == 31) {
        *indefinite = true;
        return 0;
    }
    if (info > 27)
        return bad(r, "reserved additional information");
    size_t n = (size_t)1 << (info - 24);
    if ((size_t)(r->end - r->p) < n)
        return bad(r, "truncated");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | r->p[i];
    r->p += n;
    *ret = v;
    return 0;
}

static double half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v = exp == 0 ? ldexp(mant, -24) : exp != 31 ? ldexp(mant + 1024, exp - 25) : mant == 0 ? INFINITY : NAN;
    return h & 0x8000 ? -v : v;
}

static int item(struct reader *r, int depth, json_t **ret);

/* A text or byte string (chunks when indefinite) into b. */
static int string_bytes(struct reader *r, uint8_t major, uint64_t len, bool indefinite, struct buf *b)
{
    if (!indefinite) {
        if ((uint64_t)(r->end - r->p) < len)
            return bad(r, "truncated string");
        if (buf_append(b, r->p, (size_t)len) < 0)
            return bad(r, "string too large");
        r->p += len;
        return 0;
    }
    while (r->p < r->end && *r->p != CBOR_BREAK) {
        uint8_t head = *r->p++;
        uint64_t n;
        bool indef;
        if (head >> 5 != major || argument(r, head & 0x1f, &n, &indef) < 0 || indef)
            return r->err->msg[0] ? -1 : bad(r, "bad string chunk");
        if (string_bytes(r, major, n, false, b) < 0)
            return -1;
    }
    if (r->p >= r->end)
        return bad(r, "unterminated string");
    r->p++;
    return 0;
}

static json_t *text_or_base64(uint8_t major, struct buf *b)
{
    if (major == 3)
        return json_stringn(b->data ? b->data : "", b->len);
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    _cleanup_buf_ struct buf out;
    buf_init(&out, b->len * 2 + 8);
    const uint8_t *s = (const uint8_t *)b->data;
    for (size_t i = 0; i < b->len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < b->len ? s[i + 1] << 8 : 0) | (i + 2 < b->len ? s[i + 2] : 0);
        char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < b->len ? tbl[v >> 6 & 63] : '=',
                     i + 2 < b->len ? tbl[v & 63] : '='};
        buf_append(&out, q, 4);
    }
    return json_stringn(out.data ? out.data : "", out.len);
}

static int container(struct reader *r, uint8_t major, uint64_t n, bool indefinite, int depth, json_t **ret)
{
    _cleanup_json_ json_t *c = major == 4 ? json_array() : json_object();
    if (!c)
        return error_set(r->err, ERR_INTERNAL, "out of memory");
    for (uint64_t i = 0; indefinite || i < n; i++) {
        if (indefinite && r->p < r->end && *r->p == CBOR_BREAK) {
            r->p++;
            break;
        }
        if (r->p >= r->end)
            return bad(r, "truncated container");
        _cleanup_json_ json_t *k = NULL, *v = NULL;
        if ((major == 5 && item(r, depth + 1, &k) < 0) || item(r, depth + 1, &v) < 0)
            return -1;
        if (major == 5 && !json_is_string(k))
            return bad(r, "a map key is not text");
        if (major == 5 && json_object_get(c, json_string_value(k)))
            return bad(r, "a map key given twice");
        if (major == 4 ? json_array_append(c, v) < 0 : json_object_set(c, json_string_value(k), v) < 0)
            return error_set(r->err, ERR_INTERNAL, "out of memory");
    }
    *ret = json_incref(c);
    return 0;
}

static int simple(struct reader *r, uint8_t info, json_t **ret)
{
    uint64_t v;
    bool indef;
    if (info == 20 || info == 21)
        *ret = json_boolean(info == 21);
    else if (info == 22 || info == 23)
        *ret = json_null();
    else if (info >= 25 && info <= 27) {
        if (argument(r, info, &v, &indef) < 0)
            return -1;
        double d;
        if (info == 25)
            d = half_to_double((uint16_t)v);
        else if (info == 26) {
            uint32_t u = (uint32_t)v;
            float f;
            memcpy(&f, &u, sizeof(f));
            d = f;
        } else
            memcpy(&d, &v, sizeof(d));
        /* NaN and the infinities as the JSON protocols write them: the
         * model check refuses them in a number member, naming it. */
        *ret = isnan(d) ? json_string("NaN") : isinf(d) ? json_string(d > 0 ? "Infinity" : "-Infinity") : json_real(d);
    } else
        return bad(r, "unsupported simple value");
    return *ret ? 0 : error_set(r->err, ERR_INTERNAL, "out of memory");
}

static int item(struct reader *r, int depth, json_t **ret)
{
    if (depth > CBOR_DEPTH_MAX)
        return bad(r, "nested too deeply");
    if (r->p >= r->end)
        return bad(r, "truncated");
    uint8_t head = *r->p++, major = head >> 5, info = head & 0x1f;
    if (major == 7)
        return simple(r, info, ret);
    uint64_t n;
    bool indefinite;
    if (argument(r, info, &n, &indefinite) < 0)
        return -1;
    if (indefinite && major < 2)
        return bad(r, "indefinite integer");
    switch (major) {
    case 0:
    case 1:
        if (n > INT64_MAX)
            return bad(r, "integer out of range");
        *ret = json_integer(major == 0 ? (json_int_t)n : -1 - (json_int_t)n);
        return 0;
    case 2:
    case 3: {
        _cleanup_buf_ struct buf b;
        buf_init(&b, (size_t)(r->end - r->p) + 1);
        if (string_bytes(r, major, n, indefinite, &b) < 0)
            return -1;
        *ret = text_or_base64(major, &b);
        return *ret ? 0 : bad(r, "text is not UTF-8");
    }
    case 4:
    case 5: return container(r, major, n, indefinite, depth, ret);
    default:
        if (indefinite || n != 1)
            return bad(r, "unsupported tag");
        if (item(r, depth + 1, ret) < 0)
            return -1;
        if (!json_is_number(*ret)) {
            json_decref(*ret);
            *ret = NULL;
            return bad(r, "a timestamp is not a number");
        }
        return 0;
    }
}

int cbor_decode(const uint8_t *data, size_t len, json_t **ret, struct error *err)
{
    struct reader r = {data, data + len, err};
    error_clear(err);
    json_t *v = NULL;
    if (item(&r, 0, &v) < 0)
        return -1;
    if (r.p != r.end) {
        json_decref(v);
        return bad(&r, "trailing bytes");
    }
    *ret = v;
    return 0;
}

/* ---- encoding ---- */

static void head(struct buf *b, uint8_t major, uint64_t n)
{
    uint8_t out[9];
    size_t len;
    if (n < 24) {
        out[0] = (uint8_t)(major << 5 | n);
        len = 1;
    } else {
        int bytes = n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffffffULL ? 4 : 8;
        out[0] = (uint8_t)(major << 5 | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
        for (int i = 0; i < bytes; i++)
            out[1 + i] = (uint8_t)(n >> (8 * (bytes - 1 - i)));
        len = 1 + (size_t)bytes;
    }
    buf_append(b, out, len);
}

static void text(struct buf *b, const char *s, size_t n)
{
    head(b, 3, n);
    buf_append(b, s, n);
}

static void number(struct buf *b, json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        head(b, i >= 0 ? 0 : 1, i >= 0 ? (uint64_t)i : (uint64_t)(-1 - i));
        return;
    }
    double d = json_real_value(v);
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    uint8_t out[9] = {0xfb};
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)(u >> (8 * (7 - i)));
    buf_append(b, out, 9);
}

/* The shape of a structure member, a list's member or a map's value. */
static const char *sub_shape(json_t *shape, const char *kind, const char *key)
{
    json_t *ref = key ? json_object_get(json_object_get(shape, "members"), key) : json_object_get(shape, kind);
    return json_string_value(json_object_get(ref, "shape"));
}

static int encode(struct buf *b, const struct service_model *model, const char *shape_name, json_t *v, int depth)
{
    json_t *shape = shape_name && model ? service_model_shape(model, shape_name) : NULL;
    const char *type = json_string_value(json_object_get(shape, "type"));
    /* Never a truncated document: the caller answers with a failure. */
    if (depth > CBOR_DEPTH_MAX)
        return -1;
    if (json_is_object(v)) {
        bool structure = type && strcmp(type, "structure") == 0;
        head(b, 5, json_object_size(v));
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            text(b, k, strlen(k));
            if (encode(b, model, sub_shape(shape, "value", structure ? k : NULL), e, depth + 1) < 0)
                return -1;
        }
    } else if (json_is_array(v)) {
        head(b, 4, json_array_size(v));
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (encode(b, model, sub_shape(shape, "member", NULL), e, depth + 1) < 0)
                return -1;
        }
    } else if (json_is_string(v)) {
        text(b, json_string_value(v), json_string_length(v));
    } else if (json_is_number(v)) {
        if (type && strcmp(type, "timestamp") == 0)
            head(b, 6, 1);
        number(b, v);
    } else if (json_is_boolean(v)) {
        buf_append_char(b, json_is_true(v) ? (char)0xf5 : (char)0xf4);
    } else {
        buf_append_char(b, (char)0xf6);
    }
    return 0;
}

int cbor_encode(struct buf *b, const struct service_model *model, const char *shape, json_t *v, struct error *err)
{
    if (encode(b, model, shape, v, 0) < 0)
        return error_set(err, ERR_INTERNAL, "CBOR output nests deeper than %d levels", CBOR_DEPTH_MAX);
    if (b->failed)
        return error_set(err, ERR_INTERNAL, "CBOR output too large");
    return 0;
}
