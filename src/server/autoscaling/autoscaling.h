/* autoscaling.h - what Application Auto Scaling's modules share: the
 * service's state, its error kinds, its documents in the store
 * (store_docs.h) and the scalable targets berth knows (ECS services'
 * desired count).
 *
 * Targets are kept under kind AS_TARGET with id "<ResourceId>|<dimension>",
 * policies under AS_POLICY with id "<ResourceId>|<dimension>|<name>",
 * scaling activities as AS_ACTIVITY history under the ResourceId. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http/api.h"

struct service_model;
struct store;
struct changes;

struct autoscaling_service {
    struct service_model *model;
    /* For the evaluation thread (as_tick.c), set by server.c. */
    struct store *store;
    struct changes *changes;
    char account[13];
    int time_scale; /* berth server --time-scale: periods and cooldowns divided by it */
};

enum as_error_kind {
    AS_ERR_VALIDATION = API_ERR_MAX + 1,
    AS_ERR_NOT_FOUND,
    AS_ERR_INVALID_NEXT_TOKEN,
};

#define AS_TARGET "as-target"
#define AS_POLICY "as-policy"
#define AS_ACTIVITY "as-activity"
#define AS_ACTIVITY_KEEP 200 /* per resource */

#define AS_NAMESPACE "ecs"
#define AS_DIMENSION "ecs:service:DesiredCount"
#define AS_DEFAULT_COOLDOWN_S 300 /* ECS's default scale-in and scale-out cooldown */

/* ---- as_common.c ---- */

/* ServiceNamespace, ResourceId and ScalableDimension of in: only ECS
 * services' desired count ("service/<cluster>/<service>"); the cluster and
 * service names into ret_cluster and ret_service (each 256 bytes). */
int as_check_resource(json_t *in, char *ret_cluster, char *ret_service, struct error *err);
/* The store id of a target, or of one of its policies (name non-NULL). */
void as_doc_id(json_t *in, const char *name, char *buf, size_t cap);
/* A page of `all` (a JSON array) from the NextToken of in, at most max
 * (MaxResults or def) items, into out[key] (and out.NextToken). */
int as_page(json_t *in, json_t *all, int def, const char *key, json_t *out, struct error *err);
/* Whether a stored document answers a Describe* request. */
typedef bool (*as_match_fn)(json_t *in, json_t *doc, const void *ud);
/* as_match_fn for policies and scheduled actions: the request's ResourceId
 * (when given) and, when it lists names under keys[0], the document's
 * keys[1] among them (keys: const char *const[2]). */
bool as_match_named(json_t *in, json_t *doc, const void *keys);
/* Describe*: the documents of `kind` in the region that match, without
 * berth's own members, a page of them into out[list_key]. */
int as_describe(struct op_ctx *ctx, json_t *in, const char *kind, as_match_fn match, const void *ud, int page,
                const char *list_key, json_t *out, struct error *err);
/* Record a scaling activity of resource in region. */
int as_activity(struct store_tx *tx, const char *region, const char *resource, usec_t now, const char *description,
                const char *cause, const char *status, const char *message, struct error *err);

/* ---- as_targets.c ---- */
/* Move the service's desired count into the target's [min, max] (an
 * activity whose cause is why, or "minimum capacity was set to N"). */
int as_clamp_desired(struct op_ctx *ctx, json_t *target, const char *cluster, const char *service, const char *why,
                     struct error *err);

/* ---- as_scheduled.c ---- */
#define AS_SCHEDULED "as-scheduled"
/* Run the scheduled actions due at ctx->now (every region); *scaled set
 * when a desired count changed. */
int as_scheduled_run(struct op_ctx *ctx, int scale, bool *scaled, struct error *err);
/* Delete every scheduled action of the target (in's resource). */
int as_scheduled_delete_all(struct op_ctx *ctx, json_t *in, struct error *err);

/* ---- as_scale.c: what alarms invoke ---- */
struct cw_alarm_action;
int as_alarm_action(struct store_tx *tx, const struct cw_alarm_action *a, void *ud, struct error *err);
/* The evaluation thread's job: alarms evaluated, policies run (arg: the service). */
void autoscaling_tick(void *arg);

/* ---- as_policies.c ---- */
/* Delete every policy of the target (in's resource) and their alarms. */
int as_policies_delete_all(struct op_ctx *ctx, json_t *in, struct error *err);

/* ---- handlers ---- */
API_ACTION(as_register_scalable_target);
API_ACTION(as_describe_scalable_targets);
API_ACTION(as_deregister_scalable_target);
API_ACTION(as_put_scaling_policy);
API_ACTION(as_describe_scaling_policies);
API_ACTION(as_delete_scaling_policy);
API_ACTION(as_describe_scaling_activities);
API_ACTION(as_put_scheduled_action);
API_ACTION(as_describe_scheduled_actions);
API_ACTION(as_delete_scheduled_action);
