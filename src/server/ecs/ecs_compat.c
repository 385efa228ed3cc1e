/* ecs_compat.c - the Compatibility table's logic (ecs_compat.h): refusing
 * the members berth does not honour, printing the table, and checking the
 * notes (ecs_compat_notes.c) against the action table and the model.  The
 * notes themselves live in their own file, one line each. */
#include "server/ecs/ecs_compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/http/api.h"
#include "server/http/service_model.h"

/* How deep ecs_compat_check follows the model (no covered shape nests past
 * 4: CreateServiceRequest.deploymentConfiguration.deploymentController). */
#define COMPAT_MAX_DEPTH 8

static const struct compat_field *field_of(const char *shape, const char *member)
{
    for (size_t i = 0; i < ecs_compat_nfields; i++)
        if (strcmp(ecs_compat_fields[i].shape, shape) == 0 && strcmp(ecs_compat_fields[i].member, member) == 0)
            return &ecs_compat_fields[i];
    return NULL;
}

const char *ecs_compat_refusal_note(const char *operation)
{
    for (size_t i = 0; i < ecs_compat_nops; i++)
        if (strcmp(ecs_compat_ops[i].name, operation) == 0 && ecs_compat_ops[i].status == COMPAT_REFUSED)
            return ecs_compat_ops[i].note;
    return NULL;
}

static bool shape_covered(const char *shape)
{
    for (size_t i = 0; i < ecs_compat_nfields; i++)
        if (strcmp(ecs_compat_fields[i].shape, shape) == 0)
            return true;
    return false;
}

/* Whether a member counts as set: null, false, "", [] and {} do not. */
static bool is_set(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return true;
}

static int check_shape(const struct service_model *model, const char *shape, const json_t *value, const char *what,
                       struct buf *path, int depth, struct error *err);

/* A member's value: a structure is checked, a list's structures each. */
static int check_value(const struct service_model *model, const char *shape, const json_t *value, const char *what,
                       struct buf *path, int depth, struct error *err)
{
    json_t *def = service_model_shape(model, shape);
    const char *type = json_string_value(json_object_get(def, "type"));
    if (!type || depth > COMPAT_MAX_DEPTH)
        return 0;
    if (strcmp(type, "structure") == 0)
        return shape_covered(shape) ? check_shape(model, shape, value, what, path, depth + 1, err) : 0;
    if (strcmp(type, "list") != 0 || !json_is_array(value))
        return 0;
    const char *elem = json_string_value(json_object_get(json_object_get(def, "member"), "shape"));
    if (!elem || !shape_covered(elem))
        return 0;
    size_t len = path->len, i;
    json_t *v;
    json_array_foreach(value, i, v) {
        if (buf_printf(path, "[%zu]", i) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        if (check_shape(model, elem, v, what, path, depth + 1, err) < 0)
            return -1;
        path->len = len;
        path->data[len] = '\0';
    }
    return 0;
}

static int check_shape(const struct service_model *model, const char *shape, const json_t *value, const char *what,
                       struct buf *path, int depth, struct error *err)
{
    json_t *members = json_object_get(service_model_shape(model, shape), "members");
    if (!json_is_object(value) || !members)
        return 0;
    const char *name;
    json_t *v;
    size_t len = path->len;
    json_object_foreach((json_t *)value, name, v) {
        json_t *m = json_object_get(members, name);
        if (!m)
            continue;
        const struct compat_field *f = field_of(shape, name);
        if (buf_printf(path, "%s%s", len ? "." : "", name) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        bool ok = f && f->ok_value && json_is_string(v) && strcmp(json_string_value(v), f->ok_value) == 0;
        if (f && f->status == COMPAT_UNSUPPORTED && is_set(v) && !ok && f->ok_value && json_is_string(v))
            return error_set(err, ERR_INVALID, "%s%s%s is not supported by berth: %s (got %.64s).", what ? what : "",
                             what ? ": " : "", path->data, f->note, json_string_value(v));
        if (f && f->status == COMPAT_UNSUPPORTED && is_set(v) && !ok)
            return error_set(err, ERR_INVALID, "%s%s%s is not supported by berth: %s.", what ? what : "",
                             what ? ": " : "", path->data, f->note);
        if (check_value(model, json_string_value(json_object_get(m, "shape")), v, what, path, depth, err) < 0)
            return -1;
        path->len = len;
        if (path->data)
            path->data[len] = '\0';
    }
    return 0;
}

int ecs_compat_check(const struct service_model *model, const char *shape, const json_t *value, const char *what,
                     struct error *err)
{
    _cleanup_buf_ struct buf path;
    buf_init(&path, 4096);
    return check_shape(model, shape, value, what, &path, 0, err);
}

int ecs_compat_check_input(const struct service_model *model, const char *shape, const json_t *in, struct error *err)
{
    return ecs_compat_check(model, shape, in, NULL, err);
}

static const struct compat_op *op_note(const char *name)
{
    for (size_t i = 0; i < ecs_compat_nops; i++)
        if (strcmp(ecs_compat_ops[i].name, name) == 0)
            return &ecs_compat_ops[i];
    return NULL;
}

static bool has_handler(const struct api_action *actions, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(actions[i].name, name) == 0)
            return true;
    return false;
}

static const char *status_word(enum compat_status s)
{
    switch (s) {
    case COMPAT_WORKS: return "works";
    case COMPAT_PARTIAL: return "partial";
    case COMPAT_REFUSED:
    case COMPAT_UNSUPPORTED: return "refused";
    }
    return "?";
}

static void op_rows(struct buf *b, const struct service_model *model, const struct api_action *actions, size_t n)
{
    buf_append_str(b, "| ECS operation | status |\n| --- | --- |\n");
    const char *name;
    json_t *v;
    json_object_foreach(service_model_operations(model), name, v) {
        const struct compat_op *note = op_note(name);
        if (has_handler(actions, n, name) && note)
            buf_printf(b, "| %s | partial: %s |\n", name, note->note);
        else if (has_handler(actions, n, name))
            buf_printf(b, "| %s | works |\n", name);
        else
            buf_printf(b, "| %s | refused (UnsupportedFeatureException): %s |\n", name,
                       note ? note->note : "not implemented");
    }
}

/* The covered shapes, in the order their first row comes. */
static void field_tables(struct buf *b, const struct service_model *model)
{
    for (size_t i = 0; i < ecs_compat_nfields; i++) {
        const char *shape = ecs_compat_fields[i].shape;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(ecs_compat_fields[j].shape, shape) == 0;
        if (seen)
            continue;
        buf_printf(b, "\n| %s member | status |\n| --- | --- |\n", shape);
        const char *member;
        json_t *v;
        json_object_foreach(json_object_get(service_model_shape(model, shape), "members"), member, v) {
            const struct compat_field *f = field_of(shape, member);
            if (!f)
                continue;
            buf_printf(b, "| `%s` | %s%s%s |\n", member, status_word(f->status), f->note ? ": " : "",
                       f->note ? f->note : "");
        }
    }
}

char *ecs_compat_markdown(const struct service_model *model, const struct api_action *actions, size_t nactions)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, 1 << 20);
    op_rows(&b, model, actions, nactions);
    field_tables(&b, model);
    return buf_steal(&b, NULL);
}

static int verify_ops(const struct service_model *model, const struct api_action *actions, size_t n, struct error *err)
{
    for (size_t i = 0; i < ecs_compat_nops; i++) {
        const struct compat_op *o = &ecs_compat_ops[i];
        if (!service_model_has_operation(model, o->name))
            return error_set(err, ERR_INVALID, "note for %s: no such operation in the model", o->name);
        if (i > 0 && strcmp(ecs_compat_ops[i - 1].name, o->name) >= 0)
            return error_set(err, ERR_INVALID, "operation notes out of order or repeated at %s", o->name);
        bool handled = has_handler(actions, n, o->name);
        if (handled && o->status != COMPAT_PARTIAL)
            return error_set(err, ERR_INVALID, "%s has a handler now: its note must be P (what is partial) or go",
                             o->name);
        if (!handled && o->status != COMPAT_REFUSED)
            return error_set(err, ERR_INVALID, "%s has no handler: its note must be R (why)", o->name);
    }
    return 0;
}

int ecs_compat_verify(const struct service_model *model, const struct api_action *actions, size_t nactions,
                      struct error *err)
{
    if (verify_ops(model, actions, nactions, err) < 0)
        return -1;
    for (size_t i = 0; i < ecs_compat_nfields; i++) {
        const struct compat_field *f = &ecs_compat_fields[i];
        json_t *members = json_object_get(service_model_shape(model, f->shape), "members");
        if (!json_object_get(members, f->member))
            return error_set(err, ERR_INVALID, "row %s.%s: no such member in the model", f->shape, f->member);
        if (field_of(f->shape, f->member) != f)
            return error_set(err, ERR_INVALID, "row %s.%s is repeated", f->shape, f->member);
        if (f->status != COMPAT_WORKS && !f->note)
            return error_set(err, ERR_INVALID, "row %s.%s needs a note saying what is missing", f->shape, f->member);
        const char *m;
        json_t *v;
        json_object_foreach(members, m, v) {
            if (!field_of(f->shape, m))
                return error_set(err, ERR_INVALID, "%s.%s has no row in ecs_compat_notes.c", f->shape, m);
        }
    }
    return 0;
}
