/* api.c - the dispatcher: target -> action table -> validated JSON ->
 * transaction -> handler -> commit -> response.
 *
 * It owns every rule that is the same for all actions, so handlers hold only
 * what is particular to them.  It does not speak HTTP (http.c does) and knows
 * no resource. */
#include "server/http/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "common/cleanup.h"
#include "server/stats/server_stats.h"
#include "common/ids.h"
#include "server/http/http_limits.h"
#include "common/log.h"
#include "server/http/service_model.h"
#include "server/http/auth.h"
#include "server/http/cbor_protocol.h"
#include "server/http/changes.h"
#include "server/http/json_protocol.h"
#include "server/http/query_protocol.h"
#include "server/store/store.h"

struct dispatch {
    struct store *store;
    struct changes *changes;
    struct api_keys keys;
    struct api_authorizer authorizer;
    const char *default_region;
    const char *account;
    struct api_service services[LIMIT_API_SERVICES];
    size_t nservices;
};

static int action_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct api_action *)elem)->name);
}

int api_check_actions(const struct api_action *actions, size_t n, struct error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!actions[i].name || !actions[i].handler)
            return error_set(err, ERR_INTERNAL, "action %zu has no name or handler", i);
        if (i > 0 && strcmp(actions[i - 1].name, actions[i].name) >= 0)
            return error_set(err, ERR_INTERNAL, "actions out of order or twice: %s, %s", actions[i - 1].name,
                             actions[i].name);
    }
    return 0;
}

struct store *dispatch_store(struct dispatch *d) { return d->store; }

struct dispatch *dispatch_new(struct store *store, struct changes *changes, const struct api_keys *keys,
                              const char *default_region, const char *account)
{
    struct dispatch *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->store = store;
    d->changes = changes;
    d->keys = *keys;
    d->default_region = default_region;
    d->account = account;
    return d;
}

void dispatch_free(struct dispatch *d) { free(d); }

void dispatch_set_authorizer(struct dispatch *d, const struct api_authorizer *z) { d->authorizer = *z; }

int dispatch_register(struct dispatch *d, const struct api_service *svc, struct error *err)
{
    if (d->nservices == ELEMENTSOF(d->services))
        return error_set(err, ERR_INTERNAL, "more than %zu services", ELEMENTSOF(d->services));
    if (!svc->target_prefix)
        return error_set(err, ERR_INTERNAL, "a service has no target prefix");
    for (size_t i = 0; i < d->nservices; i++)
        if (strcmp(d->services[i].target_prefix, svc->target_prefix) == 0)
            return error_set(err, ERR_INTERNAL, "service %s registered twice", svc->target_prefix);
    if (api_check_actions(svc->actions, svc->nactions, err) < 0 ||
        (svc->authz && authz_check_rules(svc->authz, svc->nauthz, svc->actions, svc->nactions, err) < 0))
        return error_prefix(err, "%s", svc->target_prefix);
    d->services[d->nservices++] = *svc;
    return 0;
}

static int find_action(struct dispatch *d, const char *target, const struct api_service **ret_svc,
                       const struct api_action **ret_action, struct error *err)
{
    if (!target)
        return error_set(err, API_ERR_UNKNOWN_OPERATION, "Missing X-Amz-Target header");
    const char *dot = strrchr(target, '.');
    if (!dot)
        return error_set(err, API_ERR_UNKNOWN_OPERATION, "Unknown operation %.100s", target);
    size_t plen = (size_t)(dot - target);
    for (size_t i = 0; i < d->nservices; i++) {
        const struct api_service *s = &d->services[i];
        if (s->protocol != API_PROTOCOL_JSON || strlen(s->target_prefix) != plen ||
            strncmp(s->target_prefix, target, plen) != 0)
            continue;
        const struct api_action *a = bsearch(dot + 1, s->actions, s->nactions, sizeof(*a), action_cmp);
        /* An operation of the service that berth does not serve says so. */
        if (!a && s->model && service_model_has_operation(s->model, dot + 1)) {
            *ret_svc = s;
            const char *why = s->refusal_note ? s->refusal_note(dot + 1) : NULL;
            if (why)
                return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                                 "berth does not implement the %s operation %.100s: %s.", s->target_prefix, dot + 1,
                                 why);
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not implement the %s operation %.100s.",
                             s->target_prefix, dot + 1);
        }
        if (!a)
            return error_set(err, API_ERR_UNKNOWN_OPERATION, "Unknown operation %.100s", dot + 1);
        *ret_svc = s;
        *ret_action = a;
        return 0;
    }
    return error_set(err, API_ERR_UNKNOWN_OPERATION, "Unknown operation %.100s", target);
}

static int validate_input(const struct api_service *svc, const struct api_action *a, json_t *in, struct error *err)
{
    const char *input = svc->model ? service_model_input_shape(svc->model, a->name) : NULL;
    if (!input || service_model_validate(svc->model, input, in, err) < 0)
        return input ? -1 : 0;
    return svc->check_input ? svc->check_input(svc->model, input, in, err) : 0;
}

/* BerthAgent.SubmitReports {reports: [{target, body}, ...]}: an agent's
 * queued reports (actions flagged API_REPORT) in one transaction, one
 * commit and one round trip instead of one each.  Each body is validated
 * and handled exactly as if it came alone; all or nothing, so an agent
 * whose batch is refused sends its reports singly and learns which one the
 * server will not take. */
int api_submit_reports(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *reports = json_object_get(in, "reports");
    if (!json_is_array(reports) || json_array_size(reports) == 0 || json_array_size(reports) > LIMIT_BATCH_REPORTS)
        return error_set(err, ERR_INVALID, "reports must be an array of 1 to %d reports.", LIMIT_BATCH_REPORTS);
    size_t i;
    json_t *rep;
    json_array_foreach(reports, i, rep) {
        const char *target = json_string_value(json_object_get(rep, "target"));
        json_t *body = json_object_get(rep, "body");
        if (!target || !json_is_object(body))
            return error_set(err, ERR_INVALID, "reports[%zu] must have a string target and an object body.", i);
        const struct api_service *svc;
        const struct api_action *a;
        if (find_action(ctx->dispatch, target, &svc, &a, err) < 0)
            return error_prefix(err, "reports[%zu]", i);
        if (!(a->flags & API_REPORT))
            return error_set(err, ERR_INVALID, "reports[%zu]: %.100s is not an agent report.", i, target);
        if (validate_input(svc, a, body, err) < 0)
            return error_prefix(err, "reports[%zu]", i);
        _cleanup_json_ json_t *ignored = json_object();
        if (!ignored)
            return error_set(err, ERR_INTERNAL, "out of memory");
        struct op_ctx one = *ctx;
        one.action = a->name;
        one.service = svc->state;
        if (authz_authorize(&ctx->dispatch->authorizer, svc, a, &one, body, err) < 0 ||
            a->handler(&one, body, ignored, err) < 0)
            return error_prefix(err, "reports[%zu]", i);
    }
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}

int api_call(struct op_ctx *ctx, const char *prefix, const char *action, json_t *in, json_t *out, struct error *err)
{
    struct dispatch *d = ctx->dispatch;
    if (!d)
        return error_set(err, ERR_INTERNAL, "%s.%s called outside a request", prefix, action);
    const struct api_service *svc = NULL;
    for (size_t i = 0; i < d->nservices && !svc; i++)
        if (strcmp(d->services[i].target_prefix, prefix) == 0)
            svc = &d->services[i];
    const struct api_action *a = svc ? bsearch(action, svc->actions, svc->nactions, sizeof(*a), action_cmp) : NULL;
    if (!a)
        return error_set(err, ERR_INTERNAL, "no action %s.%s to compose", prefix, action);
    if (validate_input(svc, a, in, err) < 0)
        return error_prefix(err, "%s", action);
    struct op_ctx one = *ctx;
    one.action = a->name;
    one.service = svc->state;
    if (authz_authorize(&d->authorizer, svc, a, &one, in, err) < 0 || a->handler(&one, in, out, err) < 0)
        return -1;
    return 0;
}

/* One request's identity and time, as the handler sees them. */
struct request_scope {
    const char *region;
    const char *caller;
    bool caller_temporary;
    const char *request_id;
    const char *raw; /* the action's raw_member, unparsed */
    size_t raw_len;
};

/* Whether to run a transaction again that a concurrent one (another
 * server's, on PostgreSQL) made fail its serialization check, for the
 * attempts-th time: nothing of it was kept, so the whole request runs
 * again, from its BEGIN, with an empty reply.  A short pause, longer with
 * each attempt and jittered, keeps two servers from colliding again in
 * step. */
static bool retry_conflict(const char *action, int attempts, json_t *out)
{
    if (attempts >= STORE_TX_ATTEMPTS)
        return false;
    server_stats_add(STAT_TX_RETRIES, 1);
    log_debug("api: %s conflicted with a concurrent transaction; running it again (attempt %d)", action, attempts + 1);
    json_object_clear(out);
    unsigned char r = 0;
    if (getrandom(&r, 1, 0) != 1)
        r = 128;
    usec_t pause = ((usec_t)500 << (attempts < 6 ? attempts : 6)) * (64 + r % 128) / 128;
    struct timespec ts = {.tv_sec = (time_t)(pause / USEC_PER_SEC), .tv_nsec = (long)(pause % USEC_PER_SEC) * 1000};
    nanosleep(&ts, NULL);
    return true;
}

/* Whether to run a request again that found the store unavailable
 * (PostgreSQL restarting: nothing of it was committed), after a pause: only
 * until `until` (set by the first such failure), so a longer outage is
 * answered with the error rather than held. */
static bool retry_unavailable(const char *action, usec_t *until, int *pauses, json_t *out)
{
    usec_t now = time_monotonic();
    if (*until == 0)
        *until = now + STORE_UNAVAILABLE_WAIT;
    usec_t pause = STORE_UNAVAILABLE_PAUSE << (*pauses < 3 ? *pauses : 3);
    if (now + pause > *until)
        return false;
    ++*pauses;
    log_debug("api: %s found the store unavailable; trying again", action);
    json_object_clear(out);
    struct timespec ts = {.tv_sec = (time_t)(pause / USEC_PER_SEC), .tv_nsec = (long)(pause % USEC_PER_SEC) * 1000};
    nanosleep(&ts, NULL);
    return true;
}

static int run_action(struct dispatch *d, const struct api_service *svc, const struct api_action *a,
                      const struct request_scope *scope, json_t *in, json_t *out, struct error *err)
{
    if (validate_input(svc, a, in, err) < 0)
        return -1;
    bool write = (a->flags & API_WRITE) != 0;
    usec_t deadline = 0; /* of a long-poll: set by the first attempt only */
    int attempts = 0;    /* runs that conflicted with another server's */
    usec_t unavailable_until = 0;
    int pauses = 0; /* runs that found the store unavailable */
    for (;;) {
        uint64_t seen = changes_generation(d->changes);
        struct store_tx *tx = NULL;
        if (store_begin(d->store, write, &tx, err) < 0) {
            if (err->kind == ERR_UNAVAILABLE && retry_unavailable(a->name, &unavailable_until, &pauses, out))
                continue;
            return -1;
        }
        struct op_ctx ctx = {
            .tx = tx,
            .service = svc->state,
            .action = a->name,
            .region = scope->region,
            .account = d->account,
            .caller = scope->caller,
            .caller_temporary = scope->caller_temporary,
            .now = time_now(),
            .request_id = scope->request_id,
            .rerun = deadline != 0,
            .dispatch = d,
            .raw = scope->raw,
            .raw_len = scope->raw_len,
        };
        /* Authorised in the transaction the handler runs in: the tags and
         * policies it reads are those the handler acts under (a long poll's
         * every attempt: a policy may change while it waits). */
        int r = authz_authorize(&d->authorizer, svc, a, &ctx, in, err);
        if (r == 0)
            r = a->handler(&ctx, in, out, err);
        if (r < 0) {
            bool conflicted = store_tx_conflicted(tx);
            bool lost = store_tx_lost(tx);
            store_rollback(tx);
            if (conflicted && retry_conflict(a->name, ++attempts, out))
                continue;
            if (lost && retry_unavailable(a->name, &unavailable_until, &pauses, out))
                continue;
            if (lost && err->kind != ERR_UNAVAILABLE)
                error_set(err, ERR_UNAVAILABLE, "store unavailable: the PostgreSQL session was lost");
            return -1;
        }
        if (r == API_WAIT && deadline == 0)
            deadline = ctx.wait_until;
        if (r == API_WAIT && time_monotonic() < deadline && !changes_stopping(d->changes)) {
            /* Nothing to say yet: hold no transaction while waiting. */
            store_rollback(tx);
            changes_wait(d->changes, seen, deadline);
            json_object_clear(out);
            continue;
        }
        /* Commit before answering: an acknowledged write is a durable write. */
        if (store_commit(tx, err) < 0) {
            if (err->kind == ERR_RETRY && retry_conflict(a->name, ++attempts, out))
                continue;
            return -1;
        }
        if (write) {
            server_stats_add(STAT_COMMITS, 1);
            if (!(a->flags & API_QUIET))
                changes_notify(d->changes);
        }
        return 0;
    }
}

static void log_request(const char *name, const struct api_response *resp, const char *error_name,
                        const struct error *err, usec_t took)
{
    if (resp->status == 200)
        log_debug("api: %s 200 %lldus", name, (long long)took);
    else if (resp->status >= 500)
        log_error("api: %.100s %d %s: %s (%lldus)", name, resp->status, error_name, err->msg, (long long)took);
    else
        log_info("api: %.100s %d %s: %s (%lldus)", name, resp->status, error_name, err->msg, (long long)took);
}

/* Who sent req: its signature checked (auth.c), or the in-process caller a
 * test or fuzz target names. */
static int authenticate(struct dispatch *d, const struct api_request *req, struct auth_result *who, struct error *err)
{
    if (req->internal_caller) {
        snprintf(who->principal, sizeof(who->principal), "%s", req->internal_caller);
        snprintf(who->region, sizeof(who->region), "%s", d->default_region);
        return 0;
    }
    return auth_check(req, &d->keys, time_now(), who, err);
}

/* The AWS query protocol service signing_name names ("iam", "sts"), or NULL. */
static const struct api_service *query_service(struct dispatch *d, const char *signing_name)
{
    for (size_t i = 0; signing_name && i < d->nservices; i++)
        if (d->services[i].protocol == API_PROTOCOL_QUERY && d->services[i].signing_name &&
            strcmp(d->services[i].signing_name, signing_name) == 0)
            return &d->services[i];
    return NULL;
}

/* A query request: its service by the signature's scope, its action by the
 * form's Action, its input decoded from the form by the model. */
static int route_query(const struct api_service *svc, const struct api_request *req,
                       const struct api_action **ret_action, json_t **ret_in, struct error *err)
{
    _cleanup_json_ json_t *form = NULL;
    if (query_form_parse(req->body, req->body_len, &form, err) < 0)
        return -1;
    const char *name = json_string_value(json_object_get(form, "Action"));
    if (!name)
        return error_set(err, API_ERR_UNKNOWN_OPERATION, "The request has no Action.");
    const struct api_action *a = bsearch(name, svc->actions, svc->nactions, sizeof(*a), action_cmp);
    if (!a && service_model_has_operation(svc->model, name))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not implement the %s operation %.100s.",
                         svc->signing_name, name);
    if (!a)
        return error_set(err, API_ERR_UNKNOWN_OPERATION, "Could not find operation %.100s for version %.20s", name,
                         json_string_value(json_object_get(form, "Version")) ?: "NO_VERSION_SPECIFIED");
    if (query_protocol_input(svc->model, a->name, form, ret_in, err) < 0)
        return -1;
    *ret_action = a;
    return 0;
}

/* Which service and action a request is for; a query request's input too
 * (its action is in its body), a JSON request's is parsed afterwards. */
static int route(struct dispatch *d, const struct api_request *req, const struct auth_result *who,
                 const struct api_service **ret_svc, const struct api_action **ret_action, json_t **ret_in,
                 struct error *err)
{
    if (cbor_protocol_request(req)) {
        /* RPC v2 CBOR names the service and operation in the path. */
        char target[256];
        if (cbor_protocol_target(req, target, sizeof(target), err) < 0)
            return -1;
        return find_action(d, target, ret_svc, ret_action, err);
    }
    const struct api_service *q = req->target ? NULL : query_service(d, who->service);
    if (q) {
        *ret_svc = q;
        return route_query(q, req, ret_action, ret_in, err);
    }
    return find_action(d, req->target, ret_svc, ret_action, err);
}

/* Whether to answer in the query protocol's XML: the service is a query
 * service or, when refused before one was found, the request looked like
 * one (a form body and no X-Amz-Target). */
static bool answers_in_xml(const struct api_request *req, const struct api_service *svc)
{
    if (svc)
        return svc->protocol == API_PROTOCOL_QUERY;
    const char *type = req->header ? req->header(req->cookie, "content-type") : NULL;
    return !req->target && type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

void api_handle(struct dispatch *d, const struct api_request *req, struct api_response *resp)
{
    usec_t start = time_monotonic();
    struct error err;
    error_clear(&err);
    memset(resp, 0, sizeof(*resp));
    if (ids_uuid(resp->request_id) < 0)
        snprintf(resp->request_id, sizeof(resp->request_id), "00000000-0000-4000-8000-000000000000");

    struct auth_result who = {0};
    struct request_scope scope = {.request_id = resp->request_id, .region = who.region, .caller = who.principal};
    const struct api_service *svc = NULL;
    const struct api_action *action = NULL;
    json_t *in = NULL;
    json_t *out = json_object();
    /* Size first: an oversized body is refused before anything looks at it. */
    int r = 0;
    if (req->body_too_large)
        r = error_set(&err, API_ERR_SERIALIZATION, "Request body exceeds the limit of %u bytes", LIMIT_HTTP_BODY);
    if (r == 0)
        r = authenticate(d, req, &who, &err);
    if (r == 0 || err.kind == API_ERR_MISSING_AUTHENTICATION) {
        int found = route(d, req, &who, &svc, &action, &in, r == 0 ? &err : NULL);
        /* No signature at all is fine for an action whose handler
         * authenticates its caller; a bad signature never is. */
        if (r < 0 && found == 0 && (action->flags & API_UNSIGNED)) {
            /* No credential scope names a region: the server's. */
            snprintf(who.region, sizeof(who.region), "%s", d->default_region);
            r = 0;
        } else if (r == 0)
            r = found;
    }
    scope.caller_temporary = who.temporary;
    bool cbor = cbor_protocol_request(req);
    const char *raw_member = r == 0 && svc->raw_member ? svc->raw_member(action->name) : NULL;
    if (r == 0 && !in && !cbor && raw_member)
        r = json_protocol_parse_raw(req, raw_member, &in, &scope.raw, &scope.raw_len, &err);
    else if (r == 0 && !in)
        r = cbor ? cbor_protocol_parse(req, &in, &err) : json_protocol_parse(req, &in, &err);
    if (r == 0 && out)
        r = run_action(d, svc, action, &scope, in, out, &err);
    else if (r == 0)
        r = error_set(&err, ERR_INTERNAL, "out of memory");

    bool xml = !cbor && answers_in_xml(req, svc);
    if (r == 0 && cbor)
        cbor_protocol_reply(resp, svc->model, action->name, out);
    else if (cbor)
        cbor_protocol_error(resp, svc, &err);
    else if (r == 0 && xml)
        query_protocol_reply(resp, svc->model, action->name, out);
    else if (r == 0)
        json_protocol_reply(resp, 200, out);
    else if (xml)
        query_protocol_error(resp, svc ? svc : query_service(d, who.service), &err);
    else
        json_protocol_error(resp, svc, &err);
    const char *error_name =
        xml ? query_protocol_error_lookup(svc, err.kind).name : api_service_error(svc, err.kind)->name;
    usec_t took = time_monotonic() - start;
    log_request(action ? action->name : (req->target ? req->target : "-"), resp, error_name, &err, took);
    server_stats_request(svc ? svc->target_prefix : NULL, action ? action->name : NULL, resp->status, took);
    json_decref(in);
    json_decref(out);
}
