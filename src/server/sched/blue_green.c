/* blue_green.c - a BLUE_GREEN deployment, the way ECS runs one for a
 * service behind an application load balancer (see blue_green.h).
 *
 * Each loadBalancers entry names a pair of target groups (targetGroupArn
 * and advancedConfiguration.alternateTargetGroupArn) and the listener
 * rules whose forward action names both.  The service keeps, in its
 * private document (berth.*):
 *
 *  - bgLive: per entry, the group production traffic goes to (absent:
 *    targetGroupArn);
 *  - bgTargets: per deployment id, the groups its tasks register in
 *    (service_load_balancers_group() reads it when a task registers);
 *  - bg: the deployment under way: its id, its stage, the groups of the
 *    old (blue) tasks and of the new (green) ones, when its bake ends.
 *
 * A round advances at most one stage, so DescribeServiceDeployments can
 * show each; the next round comes with the commit.  It does not wait for
 * anything itself: a traffic shift stage (TEST_TRAFFIC_SHIFT,
 * PRODUCTION_TRAFFIC_SHIFT) ends in the first round after the load
 * balancer's HAProxy has loaded the moved rule (elb_proxy_forwards), so
 * neither production's move nor the old tasks' end comes before requests
 * follow the rule.  It does not decide rolling deployments (reconcile.c),
 * nor does it write listener rules other than through elb_registry.h. */
#include "server/sched/blue_green.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/cleanup.h"
#include "server/ecs/deploy_hooks.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/service_load_balancers.h"
#include "server/elbv2/elb_proxy.h"
#include "server/elbv2/elb_registry.h"
#include "server/sched/reconcile_ops.h"
#include "server/store/store_svc_history.h"

#define MINUTE_USEC (60 * USEC_PER_SEC)
/* The API reference's defaults: LINEAR steps of 10% baking 6 minutes,
 * CANARY 5% baking 10 minutes. */
#define LINEAR_STEP_DEFAULT_PERMILLE 100
#define LINEAR_STEP_BAKE_DEFAULT 6
#define CANARY_DEFAULT_PERMILLE 50
#define CANARY_BAKE_DEFAULT 10

/* The stages in order, as ServiceDeploymentLifecycleStage spells them. */
static const char *const stages[] = {
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
};
enum stage {
    RECONCILE,
    PRE_SCALE_UP,
    SCALE_UP,
    POST_SCALE_UP,
    TEST_SHIFT,
    POST_TEST_SHIFT,
    PROD_SHIFT,
    POST_PROD_SHIFT,
    BAKE_TIME,
    CLEAN_UP
};

static int stage_of(json_t *bg)
{
    for (size_t i = 0; i < ELEMENTSOF(stages); i++)
        if (strcmp(jstr(bg, "stage"), stages[i]) == 0)
            return (int)i;
    return SCALE_UP;
}

bool blue_green_applies(struct round *r)
{
    const char *strategy = jstr(json_object_get(r->row->doc, "deploymentConfiguration"), "strategy");
    bool shifts =
        strcmp(strategy, "BLUE_GREEN") == 0 || strcmp(strategy, "LINEAR") == 0 || strcmp(strategy, "CANARY") == 0;
    return r->primary && shifts && json_array_size(json_object_get(r->row->doc, "deployments")) > 1;
}

/* Per mille of production traffic on the new revision after the first
 * step of the production shift (when at `at`: after the next one), and
 * how long each step bakes: BLUE_GREEN shifts all at once, LINEAR by
 * stepPercent, CANARY canaryPercent then the rest (their defaults are the
 * API reference's). */
static int prod_step(json_t *config, int at)
{
    const char *strategy = jstr(config, "strategy");
    json_t *linear = json_object_get(config, "linearConfiguration");
    json_t *canary = json_object_get(config, "canaryConfiguration");
    int step = 1000;
    if (strcmp(strategy, "LINEAR") == 0)
        step = json_object_get(linear, "stepPercent")
                   ? service_deployment_permille(json_object_get(linear, "stepPercent"))
                   : LINEAR_STEP_DEFAULT_PERMILLE;
    else if (strcmp(strategy, "CANARY") == 0)
        step = at > 0 ? 1000
               : json_object_get(canary, "canaryPercent")
                   ? service_deployment_permille(json_object_get(canary, "canaryPercent"))
                   : CANARY_DEFAULT_PERMILLE;
    return at + step > 1000 ? 1000 : at + step;
}

static usec_t step_bake(json_t *config)
{
    bool linear = strcmp(jstr(config, "strategy"), "LINEAR") == 0;
    json_t *c = json_object_get(config, linear ? "linearConfiguration" : "canaryConfiguration");
    json_t *v = json_object_get(c, linear ? "stepBakeTimeInMinutes" : "canaryBakeTimeInMinutes");
    json_int_t minutes = v ? json_integer_value(v) : linear ? LINEAR_STEP_BAKE_DEFAULT : CANARY_BAKE_DEFAULT;
    return (usec_t)minutes * MINUTE_USEC;
}

/* The other group of loadBalancers entry lb's pair. */
static const char *other_group(json_t *lb, const char *tg)
{
    const char *alt = jstr(json_object_get(lb, "advancedConfiguration"), "alternateTargetGroupArn");
    return strcmp(tg, jstr(lb, "targetGroupArn")) == 0 ? alt : jstr(lb, "targetGroupArn");
}

/* The lifecycle stage of the deployment's record (ServiceDeployment). */
static int record_stage(struct round *r, const char *dep_id, const char *stage, struct error *err)
{
    _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
    int found = store_svc_history_by_ecs_id(r->ctx->tx, r->row->id, dep_id, &rec, err);
    if (found <= 0)
        return found;
    json_object_set_new(rec.doc, "lifecycleStage", json_string(stage));
    json_object_set_new(rec.doc, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    return store_svc_history_put(r->ctx->tx, &rec, err);
}

static int set_stage(struct round *r, json_t *bg, int stage, struct error *err)
{
    json_object_set_new(bg, "stage", json_string(stages[stage]));
    return record_stage(r, jstr(bg, "deployment"), stages[stage], err);
}

/* Send permille of the traffic of every entry's `member` rule
 * (productionListenerRule or testListenerRule) to the groups in `to`, the
 * rest to those in `from` (NULL: none). */
static int split(struct round *r, const char *member, json_t *from, json_t *to, int permille, struct error *err)
{
    size_t i;
    json_t *lb;
    json_array_foreach(json_object_get(r->row->doc, "loadBalancers"), i, lb) {
        const char *rule = jstr(json_object_get(lb, "advancedConfiguration"), member);
        if (!*rule)
            continue;
        int rc = elb_registry_split(r->ctx, rule, from ? json_string_value(json_array_get(from, i)) : NULL,
                                    json_string_value(json_array_get(to, i)), permille, err);
        if (rc < 0)
            return error_prefix(err, "blue/green %s", member);
        r->changed |= rc > 0;
    }
    return 0;
}

/* Move all the traffic of every entry's `member` rule to the groups in `to`. */
static int shift(struct round *r, const char *member, json_t *to, struct error *err)
{
    return split(r, member, NULL, to, 1000, err);
}

/* Whether every entry's `member` rule sends permille of its requests to
 * the groups in `to` in the running HAProxy, not only in the store. */
static bool proxy_splits(struct round *r, const char *member, json_t *to, int permille)
{
    struct elb_proxy *proxy = ecs_of(r->ctx) ? ecs_of(r->ctx)->elb_proxy : NULL;
    size_t i;
    json_t *lb;
    json_array_foreach(json_object_get(r->row->doc, "loadBalancers"), i, lb) {
        const char *rule = jstr(json_object_get(lb, "advancedConfiguration"), member);
        if (*rule && !elb_proxy_splits(proxy, rule, json_string_value(json_array_get(to, i)), permille))
            return false;
    }
    return true;
}

static bool proxy_follows(struct round *r, const char *member, json_t *to) { return proxy_splits(r, member, to, 1000); }

/* A deployment that stopped before it finished (failed, or replaced by a
 * rollback or a newer one) leaves production on the blue groups. */
static int restore_blue(struct round *r, json_t *bg, struct error *err)
{
    json_t *blue = json_object_get(bg, "blue");
    if (!blue || stage_of(bg) >= CLEAN_UP)
        return 0;
    if (stage_of(bg) >= TEST_SHIFT && shift(r, "testListenerRule", blue, err) < 0)
        return -1;
    if (json_equal(blue, json_object_get(r->priv, "bgLive")))
        return 0;
    if (shift(r, "productionListenerRule", blue, err) < 0)
        return -1;
    json_object_set(r->priv, "bgLive", blue);
    char msg[160];
    snprintf(msg, sizeof(msg), "deployment %s: production traffic shifted back to the previous revision.",
             jstr(bg, "deployment"));
    return reconcile_ops_event(r, msg, err);
}

/* The deployment p starts: its tasks go to the groups production does
 * not use; the groups in use are the blue ones. */
static json_t *begin(struct round *r, json_t *p, struct error *err)
{
    json_t *doc = r->row->doc;
    json_t *old = json_object_get(r->priv, "bg");
    if (old && strcmp(jstr(old, "deployment"), jstr(p, "id")) != 0 && restore_blue(r, old, err) < 0)
        return NULL;
    json_t *live = json_array(), *green = json_array();
    size_t i;
    json_t *lb;
    json_array_foreach(json_object_get(doc, "loadBalancers"), i, lb) {
        const char *tg = service_load_balancers_group(doc, "", i);
        json_array_append_new(live, json_string(tg));
        json_array_append_new(green, json_string(other_group(lb, tg)));
    }
    json_object_set_new(r->priv, "bgLive", live);
    json_t *targets = json_object_get(r->priv, "bgTargets");
    if (!json_is_object(targets)) {
        targets = json_object();
        json_object_set_new(r->priv, "bgTargets", targets);
    }
    /* Only the deployments the service still has keep their groups. */
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(targets, tmp, k, v) {
        bool listed = false;
        json_t *d;
        json_array_foreach(json_object_get(doc, "deployments"), i, d)
            listed |= strcmp(jstr(d, "id"), k) == 0;
        if (!listed)
            json_object_del(targets, k);
    }
    /* The older deployments' tasks stay where they are (the blue groups,
     * or the green ones of a deployment this one replaces). */
    json_array_foreach(json_object_get(doc, "deployments"), i, v) {
        if (!json_object_get(targets, jstr(v, "id")))
            json_object_set(targets, jstr(v, "id"), live);
    }
    json_object_set(targets, jstr(p, "id"), green);
    json_t *bg = json_pack("{s:O, s:O, s:o}", "deployment", json_object_get(p, "id"), "blue", live, "green", green);
    json_object_set_new(r->priv, "bg", bg);
    /* RECONCILE_SERVICE only when more than one revision was active. */
    if (set_stage(r, bg, json_array_size(json_object_get(doc, "deployments")) > 2 ? RECONCILE : PRE_SCALE_UP, err) < 0)
        return NULL;
    return bg;
}

/* The service's tasks as the round sees them. */
struct bg_counts {
    int desired;
    int green_live;    /* the new deployment's tasks */
    int green_serving; /* ... healthy, and healthy in their target groups */
    int blue_live;     /* older deployments' tasks in the blue groups */
    int stopping;
};

/* Sort the tasks; an older deployment's task in neither the blue groups
 * (a deployment this one replaced before it finished) goes at once, as do
 * the blue ones in CLEAN_UP. */
static int count(struct round *r, json_t *bg, struct service_task *tasks, size_t n, struct bg_counts *c,
                 struct error *err)
{
    const char *blue = json_string_value(json_array_get(json_object_get(bg, "blue"), 0));
    bool serves_blue =
        stage_of(bg) >= CLEAN_UP || proxy_follows(r, "productionListenerRule", json_object_get(bg, "blue"));
    char reason[120];
    snprintf(reason, sizeof(reason), "Scaling activity initiated by (deployment %s)", jstr(bg, "deployment"));
    for (size_t i = 0; i < n; i++) {
        const struct service_task *t = &tasks[i];
        struct dep *d = NULL;
        bool stopped_now = false;
        int kept = reconcile_ops_task_kept(r, t, &d, &stopped_now, err);
        if (kept < 0)
            return -1;
        if (!kept) {
            c->stopping++;
            continue;
        }
        if (d && d->primary && strcmp(t->instance_status, "ACTIVE") == 0) {
            c->green_live++;
            bool ok = reconcile_ops_is_healthy(t, d);
            if (ok && service_load_balancers_serving(r->ctx, t->id, &ok, err) < 0)
                return -1;
            c->green_serving += ok;
            continue;
        }
        const char *tg = service_load_balancers_group(r->row->doc, t->started_by, 0);
        if (blue && strcmp(tg, blue) == 0 && stage_of(bg) < CLEAN_UP && !(d && d->primary)) {
            c->blue_live++;
            continue;
        }
        /* A task production left (a switch undone) serves until HAProxy
         * sends production back to the blue groups. */
        if (!serves_blue) {
            c->stopping++;
            continue;
        }
        if (reconcile_ops_stop_task(r, t, reason, err) < 0)
            return -1;
        c->stopping++;
    }
    return 0;
}

/* The PAUSE hook of the service's deploymentConfiguration at stage (a
 * DeploymentLifecycleHookStage), or NULL. */
static json_t *pause_hook(struct round *r, const char *stage)
{
    json_t *config = json_object_get(r->row->doc, "deploymentConfiguration");
    size_t i, j;
    json_t *h, *s;
    json_array_foreach(json_object_get(config, "lifecycleHooks"), i, h) {
        if (strcmp(jstr(h, "targetType"), "PAUSE") != 0)
            continue;
        json_array_foreach(json_object_get(h, "lifecycleStages"), j, s) {
            if (strcmp(json_string_value(s), stage) == 0)
                return h;
        }
    }
    return NULL;
}

/* "ecs-pause-" and 43 URL-safe base64 characters, as ECS's hook ids. */
static int hook_id(char out[54], struct error *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char rnd[43];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return error_set(err, ERR_INTERNAL, "no randomness");
    memcpy(out, "ecs-pause-", 10);
    for (size_t i = 0; i < sizeof(rnd); i++)
        out[10 + i] = alphabet[rnd[i] % 64];
    out[53] = '\0';
    return 0;
}

/* The hook as the deployment's record shows it (lifecycleHookDetails). */
static int record_hook(struct round *r, json_t *bg, json_t *hook, struct error *err)
{
    _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
    int found = store_svc_history_by_ecs_id(r->ctx->tx, r->row->id, jstr(bg, "deployment"), &rec, err);
    if (found <= 0)
        return found;
    json_t *list = json_object_get(rec.doc, "lifecycleHookDetails");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(rec.doc, "lifecycleHookDetails", list);
    }
    json_t *detail = NULL, *d;
    size_t i;
    json_array_foreach(list, i, d) {
        if (strcmp(jstr(d, "hookId"), jstr(hook, "hookId")) == 0)
            detail = d;
    }
    if (!detail) {
        detail = json_pack("{s:O, s:s, s:f, s:O}", "hookId", json_object_get(hook, "hookId"), "targetType", "PAUSE",
                           "expiresAt", time_to_epoch_seconds(jint(hook, "expiresUsec")), "timeoutAction",
                           json_object_get(hook, "timeoutAction"));
        json_array_append_new(list, detail);
    }
    json_object_set(detail, "status", json_object_get(hook, "status"));
    json_object_set_new(rec.doc, "updatedAt", json_real(time_to_epoch_seconds(r->ctx->now)));
    return store_svc_history_put(r->ctx->tx, &rec, err);
}

/* 1 when the deployment may leave `stage`; 0 while a PAUSE hook there
 * awaits ContinueServiceDeployment (the first time: a new hookId).  A
 * hook that times out takes its timeoutAction: CONTINUE goes on, ROLLBACK
 * asks reconcile.c to fail the deployment and roll back
 * (bg.rollbackRequested).  A rollback deployment is not paused: it is
 * the way back. */
static int gate(struct round *r, json_t *bg, const char *stage, struct error *err)
{
    json_t *h = pause_hook(r, stage);
    if (!h || strcmp(jstr(r->priv, "rollbackDeployment"), jstr(bg, "deployment")) == 0)
        return 1;
    json_t *done = json_object_get(bg, "hooksDone");
    size_t i;
    json_t *v;
    json_array_foreach(done, i, v) {
        if (strcmp(json_string_value(v), stage) == 0)
            return 1;
    }
    json_t *hook = json_object_get(bg, "hook");
    char msg[300];
    if (!hook || strcmp(jstr(hook, "stage"), stage) != 0) {
        char id[54];
        if (hook_id(id, err) < 0)
            return -1;
        json_t *timeout = json_object_get(h, "timeoutConfiguration");
        json_int_t minutes = json_object_get(timeout, "timeoutInMinutes") ? jint(timeout, "timeoutInMinutes")
                                                                          : DEPLOY_HOOK_TIMEOUT_DEFAULT_MINUTES;
        const char *action = *jstr(timeout, "action") ? jstr(timeout, "action") : "ROLLBACK";
        hook = json_pack("{s:s, s:s, s:s, s:I, s:s}", "hookId", id, "stage", stage, "status", "AWAITING_ACTION",
                         "expiresUsec", (json_int_t)(r->ctx->now + minutes * MINUTE_USEC), "timeoutAction", action);
        json_object_set_new(bg, "hook", hook);
        snprintf(msg, sizeof(msg), "deployment %s paused at %s: lifecycle hook %s awaits ContinueServiceDeployment.",
                 jstr(bg, "deployment"), stage, id);
        if (record_hook(r, bg, hook, err) < 0 || reconcile_ops_event(r, msg, err) < 0)
            return -1;
        return 0;
    }
    const char *status = jstr(hook, "status");
    if (strcmp(status, "AWAITING_ACTION") == 0 && r->ctx->now >= jint(hook, "expiresUsec")) {
        json_object_set_new(hook, "status", json_string("TIMED_OUT"));
        snprintf(msg, sizeof(msg), "deployment %s: lifecycle hook %s at %s timed out (%s).", jstr(bg, "deployment"),
                 jstr(hook, "hookId"), stage, jstr(hook, "timeoutAction"));
        if (record_hook(r, bg, hook, err) < 0 || reconcile_ops_event(r, msg, err) < 0)
            return -1;
        if (strcmp(jstr(hook, "timeoutAction"), "CONTINUE") != 0) {
            json_object_set_new(bg, "rollbackRequested", json_true());
            return 0;
        }
    } else if (strcmp(status, "SUCCEEDED") != 0) {
        return 0;
    }
    if (!json_is_array(done)) {
        done = json_array();
        json_object_set_new(bg, "hooksDone", done);
    }
    json_array_append_new(done, json_string(stage));
    return 1;
}

/* A LINEAR or CANARY step that HAProxy follows (`at` per mille on the new
 * revision): it bakes (stepBakeTimeInMinutes, canaryBakeTimeInMinutes),
 * then the next one starts.  The stage stays PRODUCTION_TRAFFIC_SHIFT. */
static int next_step(struct round *r, json_t *bg, int at, struct error *err)
{
    json_t *config = json_object_get(r->row->doc, "deploymentConfiguration");
    if (!json_object_get(bg, "stepBakeUntil")) {
        json_object_set_new(bg, "stepBakeUntil", json_integer(r->ctx->now + step_bake(config)));
        char msg[200];
        snprintf(msg, sizeof(msg), "deployment %s: %d.%d%% of production traffic on the new revision.",
                 jstr(bg, "deployment"), at / 10, at % 10);
        return reconcile_ops_event(r, msg, err);
    }
    if (r->ctx->now < jint(bg, "stepBakeUntil"))
        return 0;
    int next = prod_step(config, at);
    if (split(r, "productionListenerRule", json_object_get(bg, "blue"), json_object_get(bg, "green"), next, err) < 0)
        return -1;
    json_object_set_new(bg, "prodPermille", json_integer(next));
    json_object_del(bg, "stepBakeUntil");
    return 0;
}

/* Advance one stage when the one the deployment is in is done and no
 * PAUSE hook holds it there. */
static int advance(struct round *r, json_t *bg, const struct bg_counts *c, struct error *err)
{
    int stage = stage_of(bg);
    bool green_ready = c->green_live == c->desired && c->green_serving == c->desired;
    switch (stage) {
    case SCALE_UP:
    case POST_TEST_SHIFT:
        /* Production moves only to tasks that serve now. */
        if (!green_ready)
            return 0;
        break;
    case TEST_SHIFT:
        if (!proxy_follows(r, "testListenerRule", json_object_get(bg, "green")))
            return 0;
        break;
    case PROD_SHIFT: {
        /* Blue goes in CLEAN_UP: not before requests stopped reaching it
         * (the deregistration delay need not cover HAProxy's reload). */
        int at = json_object_get(bg, "prodPermille") ? (int)jint(bg, "prodPermille") : 1000;
        if (!proxy_splits(r, "productionListenerRule", json_object_get(bg, "green"), at))
            return 0;
        if (at < 1000)
            return next_step(r, bg, at, err);
        break;
    }
    case BAKE_TIME:
        if (r->ctx->now < jint(bg, "bakeUntil"))
            return 0;
        break;
    case CLEAN_UP: return 0;
    default: break;
    }
    int open = gate(r, bg, stages[stage], err);
    if (open > 0 && stage == POST_TEST_SHIFT)
        open = gate(r, bg, "PRE_PRODUCTION_TRAFFIC_SHIFT", err);
    if (open <= 0)
        return open;
    if (stage == POST_SCALE_UP && shift(r, "testListenerRule", json_object_get(bg, "green"), err) < 0)
        return -1;
    if (stage == POST_TEST_SHIFT) {
        int first = prod_step(json_object_get(r->row->doc, "deploymentConfiguration"), 0);
        if (split(r, "productionListenerRule", json_object_get(bg, "blue"), json_object_get(bg, "green"), first, err) <
            0)
            return -1;
        json_object_set_new(bg, "prodPermille", json_integer(first));
        json_object_set(r->priv, "bgLive", json_object_get(bg, "green"));
    }
    if (stage == POST_PROD_SHIFT) {
        /* The bake starts once production traffic is on green. */
        json_int_t bake = jint(json_object_get(r->row->doc, "deploymentConfiguration"), "bakeTimeInMinutes");
        json_object_set_new(bg, "bakeUntil", json_integer(r->ctx->now + bake * MINUTE_USEC));
    }
    return set_stage(r, bg, stage + 1, err);
}

int blue_green_round(struct round *r, struct service_task *tasks, size_t n, struct error *err)
{
    json_t *p = r->primary->json;
    json_t *bg = json_object_get(r->priv, "bg");
    if (!bg || strcmp(jstr(bg, "deployment"), jstr(p, "id")) != 0) {
        bg = begin(r, p, err);
        if (!bg)
            return -1;
    }
    if (strcmp(jstr(p, "rolloutState"), "FAILED") == 0 && restore_blue(r, bg, err) < 0)
        return -1;
    struct bg_counts c = {.desired = (int)jint(r->row->doc, "desiredCount")};
    if (count(r, bg, tasks, n, &c, err) < 0)
        return -1;
    /* All of the new revision at once, whatever maximumPercent (and a
     * task of it that stopped is replaced at any stage). */
    int start = stage_of(bg) >= SCALE_UP ? c.desired - c.green_live : 0;
    if (start > 0 && reconcile_ops_may_launch(r) && reconcile_ops_launch(r, start, NULL, 0, true, NULL, err) < 0)
        return -1;
    if (strcmp(jstr(p, "rolloutState"), "IN_PROGRESS") == 0 && advance(r, bg, &c, err) < 0)
        return -1;
    bool done = stage_of(bg) == CLEAN_UP && c.blue_live == 0 && c.stopping == 0 && json_array_size(r->stopped) == 0 &&
                c.green_live == c.desired && c.green_serving == c.desired;
    return reconcile_ops_complete(r, done, err);
}
