/* describe.h - the loop every Describe* action runs over the references it
 * is given: each one found goes into the answer's list, each one missing
 * into its failures.  What a reference names and how it is shown stay with
 * the action, in the two callbacks of its describe_kind. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/http/api.h"

struct cluster_row;

/* One Describe* request as the callbacks see it. */
struct describe {
    struct op_ctx *ctx;
    const struct cluster_row *cluster; /* the request's cluster, or NULL */
    bool with_tags;                    /* include: TAGS */
    unsigned include;                  /* the action's own include flags */
};

/* What one Describe* action describes. */
struct describe_kind {
    const char *member; /* the request's list and the answer's: "tasks" */
    const char *noun;   /* in the error for too many: "tasks" */
    size_t max;         /* how many references one request may name */
    /* 1 and *ret_json (new reference) when ref names a resource, 0 when
     * it names none, -1 (err set) on error. */
    int (*find)(const struct describe *d, const char *ref, json_t **ret_json, struct error *err);
    /* Append the MISSING failure for ref to failures. */
    void (*missing)(const struct describe *d, const char *ref, json_t *failures);
    /* The error an empty list is, in ECS's words ("Tasks cannot be
     * empty."), and its kind; NULL: an empty list answers nothing. */
    const char *empty;
    int empty_kind;
};

/* Describe each of refs into out[kind->member] and out.failures.  More
 * than kind->max references is ERR_INVALID "A maximum of MAX NOUN can be
 * described at a time." and answers nothing; so is an empty list when
 * kind->empty says so. */
int describe_refs(const struct describe *d, const struct describe_kind *kind, json_t *refs, json_t *out,
                  struct error *err);
/* The Describe* action of a resource that lives in a cluster: the
 * request's `cluster`, `include` TAGS, and the references in
 * in[kind->member]. */
int describe_in_cluster(struct op_ctx *ctx, json_t *in, const struct describe_kind *kind, json_t *out,
                        struct error *err);
