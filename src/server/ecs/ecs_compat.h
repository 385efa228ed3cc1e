/* ecs_compat.h - what berth does with each ECS operation and with each
 * task-definition, task and service member: the data behind the README's
 * "Compatibility" table (`berth compat` prints it) and the check that
 * refuses a member berth does not honour, so nothing is accepted and
 * ignored.
 *
 * An operation works when the ECS action table has a handler for it and is
 * refused (UnsupportedFeatureException, by the dispatcher) otherwise; its
 * note (ecs_compat_notes.c) says what is partial or why it is refused.  A
 * member's status is its row's. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

struct service_model;
struct api_action;

enum compat_status {
    COMPAT_WORKS,
    COMPAT_PARTIAL,     /* works, within the note's limits */
    COMPAT_REFUSED,     /* refused by the code that handles it (the note says where and how) */
    COMPAT_UNSUPPORTED, /* refused by ecs_compat_check() whenever it is set */
};

/* An operation's note: for one with a handler, what is partial (status
 * COMPAT_PARTIAL); for one without, why it is refused (COMPAT_REFUSED). */
struct compat_op {
    const char *name;
    enum compat_status status;
    const char *note;
};

/* One member of a model shape.  A COMPAT_UNSUPPORTED member is refused when
 * set (anything but null, false, "", [] or {}), unless its value is
 * `ok_value` (a string: the value berth's behaviour already is). */
struct compat_field {
    const char *shape;
    const char *member;
    enum compat_status status;
    const char *ok_value;
    const char *note;
};

extern const struct compat_op ecs_compat_ops[];
extern const size_t ecs_compat_nops;
extern const struct compat_field ecs_compat_fields[];
extern const size_t ecs_compat_nfields;

/* Refuses (ERR_INVALID, naming the member's path and the reason) the first
 * COMPAT_UNSUPPORTED member set in `value`, read as model shape `shape`,
 * at any depth the rows cover.  `what` prefixes the message ("task
 * definition web:3").  Returns 0 when nothing is refused. */
int ecs_compat_check(const struct service_model *model, const char *shape, const json_t *value, const char *what,
                     struct error *err);

/* ecs_compat_check() for a request (struct api_service's check_input). */
int ecs_compat_check_input(const struct service_model *model, const char *shape, const json_t *in, struct error *err);

/* The note of a refused operation (one ecs_compat_notes.c marks
 * COMPAT_REFUSED), static; NULL if it has none (struct api_service's
 * refusal_note). */
const char *ecs_compat_refusal_note(const char *operation);

/* The Markdown tables (malloc'd, NUL-terminated) for the model's operations,
 * given the action table, and every shape the rows cover. */
char *ecs_compat_markdown(const struct service_model *model, const struct api_action *actions, size_t nactions);

/* Whether the notes agree with the code and the model: every member of a
 * covered shape has one row, every row names a member, and an operation's
 * note matches whether it has a handler.  Fills `err` with the first
 * disagreement. */
int ecs_compat_verify(const struct service_model *model, const struct api_action *actions, size_t nactions,
                      struct error *err);
