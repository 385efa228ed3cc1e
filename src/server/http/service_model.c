/* service_model.c - a validator driven by botocore's model.
 *
 * Checks JSON types, required members, enum values, string lengths, list and
 * map sizes and numeric ranges.  It does not check regex patterns (the few in
 * the ECS model use Unicode classes; the handlers that need them check them)
 * and it knows nothing of any particular service. */
#include "server/http/service_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/http/http_limits.h"
#include "common/utf8.h"

struct service_model {
    json_t *root;
    json_t *shapes;
    json_t *operations;
};

int service_model_load(const char *text, size_t len, struct service_model **ret_model, struct error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root)
        return error_set(err, ERR_INTERNAL, "model: %s at line %d", jerr.text, jerr.line);
    json_t *shapes = json_object_get(root, "shapes");
    json_t *ops = json_object_get(root, "operations");
    if (!json_is_object(shapes) || !json_is_object(ops)) {
        json_decref(root);
        return error_set(err, ERR_INTERNAL, "model: missing shapes or operations");
    }
    struct service_model *m = calloc(1, sizeof(*m));
    if (!m) {
        json_decref(root);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    m->root = root;
    m->shapes = shapes;
    m->operations = ops;
    *ret_model = m;
    return 0;
}

void service_model_free(struct service_model *model)
{
    if (!model)
        return;
    json_decref(model->root);
    free(model);
}

const char *service_model_target_prefix(const struct service_model *model)
{
    return json_string_value(json_object_get(json_object_get(model->root, "metadata"), "targetPrefix"));
}

bool service_model_has_operation(const struct service_model *model, const char *op)
{
    return json_object_get(model->operations, op) != NULL;
}

json_t *service_model_operations(const struct service_model *model) { return model->operations; }

const char *service_model_input_shape(const struct service_model *model, const char *op)
{
    return json_string_value(json_object_get(json_object_get(model->operations, op), "input"));
}

const char *service_model_output_shape(const struct service_model *model, const char *op)
{
    return json_string_value(json_object_get(json_object_get(model->operations, op), "output"));
}

const char *service_model_result_wrapper(const struct service_model *model, const char *op)
{
    return json_string_value(json_object_get(json_object_get(model->operations, op), "resultWrapper"));
}

const char *service_model_metadata(const struct service_model *model, const char *key)
{
    return json_string_value(json_object_get(json_object_get(model->root, "metadata"), key));
}

json_t *service_model_shape(const struct service_model *model, const char *shape)
{
    return shape ? json_object_get(model->shapes, shape) : NULL;
}

int service_model_extend_enum(struct service_model *model, const char *shape, const char *value)
{
    json_t *values = json_object_get(json_object_get(model->shapes, shape), "enum");
    if (!json_is_array(values))
        return -1;
    return json_array_append_new(values, json_string(value));
}

json_t *service_model_enum(const struct service_model *model, const char *shape)
{
    return json_object_get(json_object_get(model->shapes, shape), "enum");
}

/* The member path being checked, e.g. "containerDefinitions[0].portMappings". */
struct walk {
    const struct service_model *model;
    char path[512];
    size_t len;
    struct error *err;
};

/* Append ".name" (or "name" at the root) or "[index]"; returns the length to
 * restore with path_pop.  A path too long for the buffer is cut short. */
static size_t path_push(struct walk *w, const char *name, size_t index)
{
    size_t saved = w->len;
    size_t room = sizeof(w->path) - w->len;
    int n = name ? snprintf(w->path + w->len, room, w->len ? ".%s" : "%s", name)
                 : snprintf(w->path + w->len, room, "[%zu]", index);
    if (n > 0)
        w->len += (size_t)n < room ? (size_t)n : room - 1;
    return saved;
}

static void path_pop(struct walk *w, size_t saved)
{
    w->len = saved;
    w->path[saved] = '\0';
}

static const char *path_or_root(const struct walk *w) { return w->len ? w->path : "request"; }

static int fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct walk *w, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return error_set(w->err, ERR_INVALID, "%s", what);
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

static int check(struct walk *w, const char *shape_name, json_t *value, int depth);

static int check_structure(struct walk *w, json_t *shape, json_t *value, int depth)
{
    if (!json_is_object(value))
        return fail(w, "Invalid type for parameter %s, value: %s, valid types: object", path_or_root(w),
                    json_type_name(value));
    json_t *members = json_object_get(shape, "members");
    const char *key;
    json_t *member;
    void *tmp;
    json_object_foreach_safe(value, tmp, key, member) {
        json_t *spec = json_object_get(members, key);
        if (!spec || json_is_null(member)) {
            /* Unknown members are ignored, as AWS services do; nulls mean absent. */
            json_object_del(value, key);
            continue;
        }
        size_t saved = path_push(w, key, 0);
        int r = check(w, json_string_value(json_object_get(spec, "shape")), member, depth + 1);
        path_pop(w, saved);
        if (r < 0)
            return r;
    }
    size_t i;
    json_t *req;
    json_array_foreach(json_object_get(shape, "required"), i, req) {
        const char *name = json_string_value(req);
        if (name && !json_object_get(value, name)) {
            if (w->len)
                return fail(w, "Missing required parameter in %s: \"%s\"", w->path, name);
            return fail(w, "Missing required parameter in input: \"%s\"", name);
        }
    }
    return 0;
}

static int check_count(struct walk *w, json_t *shape, size_t n, const char *what)
{
    json_t *min = json_object_get(shape, "min");
    json_t *max = json_object_get(shape, "max");
    if (json_is_integer(min) && (json_int_t)n < json_integer_value(min))
        return fail(w, "Invalid %s for parameter %s: must have at least %lld %s", what, path_or_root(w),
                    (long long)json_integer_value(min), strcmp(what, "length") == 0 ? "characters" : "items");
    if (json_is_integer(max) && (json_int_t)n > json_integer_value(max))
        return fail(w, "Invalid %s for parameter %s: must have at most %lld %s", what, path_or_root(w),
                    (long long)json_integer_value(max), strcmp(what, "length") == 0 ? "characters" : "items");
    return 0;
}

static int check_string(struct walk *w, json_t *shape, json_t *value)
{
    if (!json_is_string(value))
        return fail(w, "Invalid type for parameter %s, value: %s, valid types: string", path_or_root(w),
                    json_type_name(value));
    const char *s = json_string_value(value);
    if (strlen(s) != json_string_length(value))
        return fail(w, "Invalid value for parameter %s: NUL characters are not allowed", path_or_root(w));
    json_t *values = json_object_get(shape, "enum");
    if (json_is_array(values)) {
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v) {
            if (strcmp(json_string_value(v), s) == 0)
                return 0;
        }
        char allowed[400] = "";
        size_t used = 0;
        json_array_foreach(values, i, v) {
            int n = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", i ? ", " : "", json_string_value(v));
            if (n < 0 || (size_t)n >= sizeof(allowed) - used)
                break;
            used += (size_t)n;
        }
        return fail(w, "Invalid value for parameter %s: \"%.100s\" is not one of: %s", path_or_root(w), s, allowed);
    }
    return check_count(w, shape, utf8_length(s), "length");
}

/* The walk's path as the AWS query protocol names it ("A[0].B" is
 * "A.member.1.B"): the form CloudWatch's messages use in every protocol. */
static void query_path(const struct walk *w, char *out, size_t size)
{
    size_t used = 0;
    for (const char *p = path_or_root(w); *p && used + 1 < size;) {
        int n;
        if (*p == '[') {
            char *end;
            unsigned long long i = strtoull(p + 1, &end, 10);
            n = snprintf(out + used, size - used, ".member.%llu", i + 1);
            p = *end == ']' ? end + 1 : end;
        } else {
            n = snprintf(out + used, size - used, "%c", *p);
            p++;
        }
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    out[used] = '\0';
}

/* The JSON protocols carry a double's NaN and infinities as these strings
 * (and berth's CBOR decoder gives them so); no AWS number member takes one. */
static bool non_finite_text(json_t *value)
{
    const char *s = json_string_value(value);
    return s && (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0);
}

static int check_number(struct walk *w, json_t *shape, json_t *value, bool integral)
{
    double d;
    if (!integral && non_finite_text(value)) {
        char path[600];
        query_path(w, path, sizeof(path));
        return fail(w, "The value %s for parameter %s is invalid.", json_string_value(value), path);
    }
    if (json_is_integer(value))
        d = (double)json_integer_value(value);
    else if (json_is_real(value) && !integral)
        d = json_real_value(value);
    else
        return fail(w, "Invalid type for parameter %s, value: %s, valid types: %s", path_or_root(w),
                    json_type_name(value), integral ? "integer" : "number");
    json_t *min = json_object_get(shape, "min");
    json_t *max = json_object_get(shape, "max");
    if (json_is_number(min) && d < json_number_value(min))
        return fail(w, "Invalid value for parameter %s: %g is below the minimum of %g", path_or_root(w), d,
                    json_number_value(min));
    if (json_is_number(max) && d > json_number_value(max))
        return fail(w, "Invalid value for parameter %s: %g is above the maximum of %g", path_or_root(w), d,
                    json_number_value(max));
    if (integral && strcmp(json_string_value(json_object_get(shape, "type")), "integer") == 0 &&
        (d < -2147483648.0 || d > 2147483647.0))
        return fail(w, "Invalid value for parameter %s: %g does not fit a 32-bit integer", path_or_root(w), d);
    return 0;
}

static int check(struct walk *w, const char *shape_name, json_t *value, int depth)
{
    if (depth > LIMIT_JSON_DEPTH)
        return fail(w, "Invalid parameter %s: nesting is too deep", path_or_root(w));
    json_t *shape = shape_name ? json_object_get(w->model->shapes, shape_name) : NULL;
    if (!shape)
        return error_set(w->err, ERR_INTERNAL, "model has no shape %s", shape_name ? shape_name : "(null)");
    const char *type = json_string_value(json_object_get(shape, "type"));
    if (!type)
        return error_set(w->err, ERR_INTERNAL, "shape %s has no type", shape_name);

    if (strcmp(type, "structure") == 0)
        return check_structure(w, shape, value, depth);
    if (strcmp(type, "list") == 0) {
        if (!json_is_array(value))
            return fail(w, "Invalid type for parameter %s, value: %s, valid types: list", path_or_root(w),
                        json_type_name(value));
        if (check_count(w, shape, json_array_size(value), "length") < 0)
            return -1;
        const char *member = json_string_value(json_object_get(json_object_get(shape, "member"), "shape"));
        for (size_t i = 0; i < json_array_size(value); i++) {
            json_t *item = json_array_get(value, i);
            if (json_is_null(item))
                return fail(w, "Invalid type for parameter %s[%zu], value: null", path_or_root(w), i);
            size_t saved = path_push(w, NULL, i);
            int r = check(w, member, item, depth + 1);
            path_pop(w, saved);
            if (r < 0)
                return r;
        }
        return 0;
    }
    if (strcmp(type, "map") == 0) {
        if (!json_is_object(value))
            return fail(w, "Invalid type for parameter %s, value: %s, valid types: map", path_or_root(w),
                        json_type_name(value));
        if (check_count(w, shape, json_object_size(value), "length") < 0)
            return -1;
        const char *vshape = json_string_value(json_object_get(json_object_get(shape, "value"), "shape"));
        const char *key;
        json_t *v;
        json_object_foreach(value, key, v) {
            size_t saved = path_push(w, key, 0);
            int r = check(w, vshape, v, depth + 1);
            path_pop(w, saved);
            if (r < 0)
                return r;
        }
        return 0;
    }
    if (strcmp(type, "string") == 0)
        return check_string(w, shape, value);
    if (strcmp(type, "integer") == 0 || strcmp(type, "long") == 0)
        return check_number(w, shape, value, true);
    if (strcmp(type, "double") == 0 || strcmp(type, "float") == 0 || strcmp(type, "timestamp") == 0) {
        if (strcmp(type, "timestamp") == 0 && json_is_string(value))
            return 0;
        return check_number(w, shape, value, false);
    }
    if (strcmp(type, "boolean") == 0) {
        if (!json_is_boolean(value))
            return fail(w, "Invalid type for parameter %s, value: %s, valid types: boolean", path_or_root(w),
                        json_type_name(value));
        return 0;
    }
    if (strcmp(type, "blob") == 0) {
        if (!json_is_string(value))
            return fail(w, "Invalid type for parameter %s, value: %s, valid types: base64 string", path_or_root(w),
                        json_type_name(value));
        return 0;
    }
    return error_set(w->err, ERR_INTERNAL, "shape %s has unsupported type %s", shape_name, type);
}

int service_model_validate(const struct service_model *model, const char *shape, json_t *value, struct error *err)
{
    struct walk w = {.model = model, .err = err};
    w.path[0] = '\0';
    return check(&w, shape, value, 0);
}
