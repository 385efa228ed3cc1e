/* api.h - the AWS JSON 1.1 API edge: from (X-Amz-Target, body) to a JSON
 * response, for the ECS and CloudWatch Logs services.
 *
 * The dispatcher, not each handler, checks the body size, parses the JSON,
 * validates it against the service's botocore model, opens the store
 * transaction, has the caller authorised (authz.h), commits it before anything is sent, maps error kinds to
 * exception names and logs one line per request. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/proto.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "server/http/authz.h"

struct store;
struct store_tx;
struct changes;
struct dispatch;
struct service_model;
struct api_error;

/* What a handler gets: the narrow context of one operation.  Handlers reach
 * nothing else of the server: their own service's state comes through
 * `service`, the store through `tx`. */
struct op_ctx {
    struct store_tx *tx;
    void *service; /* the state its service registered (struct api_service) */
    const char *action;
    const char *region;
    const char *account;
    const char *caller;    /* the principal ARN the request was signed as ("": unsigned) */
    bool caller_temporary; /* signed with temporary credentials (a session token) */
    usec_t now;
    const char *request_id;
    /* A long-poll handler sets this (monotonic time) and returns API_WAIT
     * when it has nothing to report yet. */
    usec_t wait_until;
    /* The handler runs again after an API_WAIT (a change was committed):
     * work done once per request need not be repeated. */
    bool rerun;
    /* The dispatcher, for an action that hands on what it received
     * (BerthAgent.SubmitReports); NULL outside a request. */
    struct dispatch *dispatch;
    /* The JSON text of the member the service's raw_member names, left
     * unparsed (checked well-formed) and absent from `in`; NULL when the
     * request has no such member or `in` came parsed (composed calls,
     * batched reports, CBOR). */
    const char *raw;
    size_t raw_len;
};

/* Returned by a handler: `out` holds an empty answer; if time remains before
 * ctx->wait_until, wait for a committed change and call the handler again. */
#define API_WAIT 1

typedef int (*api_handler_fn)(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
/* Declares a handler of that type: API_ACTION(action_create_cluster); */
#define API_ACTION(name) int name(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)

enum api_flags {
    API_READ = 0,
    API_WRITE = 1 << 0,  /* opens a write transaction */
    API_REPORT = 1 << 1, /* an agent's report: may come batched in BerthAgent.SubmitReports */
    /* May come without a signature (caller ""): the handler authenticates
     * the request from its body, as STS's AssumeRoleWithWebIdentity does
     * (an agent's first registration, with a cluster registration token). */
    API_UNSIGNED = 1 << 2,
    /* A write nothing waits on (task definitions, log events, metric
     * data): its commit does not wake the scheduler, the proxies or the
     * agents' long-polls, which would each run a round for nothing. */
    API_QUIET = 1 << 3,
};

struct api_action {
    const char *name;
    api_handler_fn handler;
    unsigned flags;
};

/* Error kinds of the API layer, numbered after the generic ones.  Each maps
 * to one exception name and HTTP status (api.c). */
enum api_error_kind {
    API_ERR_CLIENT = ERR_GENERIC_MAX,
    API_ERR_SERVER,
    API_ERR_UNKNOWN_OPERATION,
    API_ERR_SERIALIZATION,
    API_ERR_CLUSTER_NOT_FOUND,
    API_ERR_CLUSTER_CONTAINS_SERVICES,
    API_ERR_CLUSTER_CONTAINS_TASKS,
    API_ERR_CLUSTER_CONTAINS_INSTANCES,
    API_ERR_SERVICE_NOT_FOUND,
    API_ERR_SERVICE_NOT_ACTIVE,
    API_ERR_DAEMON_NOT_FOUND,
    API_ERR_DAEMON_NOT_ACTIVE,
    API_ERR_RESOURCE_NOT_FOUND,
    API_ERR_RESOURCE_IN_USE,
    API_ERR_RESOURCE_ALREADY_EXISTS,
    API_ERR_LIMIT_EXCEEDED,
    API_ERR_ATTRIBUTE_LIMIT_EXCEEDED,
    API_ERR_TARGET_NOT_FOUND,
    API_ERR_UNSUPPORTED_FEATURE,
    API_ERR_PLATFORM_UNKNOWN,
    API_ERR_ACCESS_DENIED,
    API_ERR_NO_UPDATE_AVAILABLE,
    API_ERR_DATA_ALREADY_ACCEPTED,
    API_ERR_INVALID_SEQUENCE_TOKEN,
    API_ERR_OPERATION_ABORTED,
    API_ERR_INVALID_OPERATION,
    API_ERR_MISSING_AUTHENTICATION,
    API_ERR_INCOMPLETE_SIGNATURE,
    API_ERR_UNRECOGNIZED_CLIENT,
    API_ERR_INVALID_SIGNATURE,
    API_ERR_EXPIRED_TOKEN,
    API_ERR_MAX
};

/* One request as the HTTP front saw it. */
struct api_request {
    const char *method; /* "POST" */
    const char *path;   /* "/" */
    /* The query string, canonical enough to sign ("k=v&..."), or NULL. */
    const char *query;
    /* A header's value by its lower-case name, or NULL. */
    const char *(*header)(void *cookie, const char *lname);
    void *cookie;
    const char *target;        /* X-Amz-Target, or NULL */
    const char *authorization; /* Authorization, or NULL */
    const char *body;
    size_t body_len;
    bool body_too_large; /* the front stopped reading at LIMIT_HTTP_BODY */
    /* In-process callers only (unit tests, fuzz targets): the principal the
     * request runs as, without a signature.  The HTTP front never sets it. */
    const char *internal_caller;
};

/* One active access key, as the signature check needs it. */
struct api_key {
    char secret[129];
    char principal[256];           /* the ARN the key stands for */
    char session_token_sha256[65]; /* temporary credentials: the token's hash; else "" */
    usec_t expires_at;             /* 0: never */
};

/* The access keys signatures are checked against: lookup returns 1 with
 * *ret filled when access_key_id is an active key, 0 when it is unknown or
 * inactive, -1 when it could not be read. */
struct api_keys {
    int (*lookup)(void *cookie, const char *access_key_id, struct api_key *ret);
    void *cookie;
};

struct api_response {
    int status;
    const char *content_type; /* NULL: application/x-amz-json-1.1 */
    char *body;               /* malloc'd JSON (or XML, per content_type) */
    size_t body_len;
    char request_id[37];
};

struct api_error;

/* One AWS service on the listener: its X-Amz-Target prefix, the botocore
 * model its input is validated against (NULL: its handlers validate), its
 * action table sorted by name, the state its handlers get as
 * ctx->service, and its authorisation rules (authz.h; one per action,
 * sorted by name; without them only the account's root may call it).
 * Adding a service is a folder, a table and one dispatch_register() call
 * in server.c. */
struct api_service {
    const char *target_prefix;
    const struct service_model *model;
    const struct api_action *actions;
    size_t nactions;
    void *state;
    const struct authz_rule *authz;
    size_t nauthz;
    /* AWS query protocol services (IAM, STS) take no X-Amz-Target: a form
     * body's Action names the action, and the credential scope's service
     * (signing_name: "iam", "sts") the service; their target_prefix only
     * names them.  Their own error kinds answer as `errors` says. */
    enum { API_PROTOCOL_JSON = 0, API_PROTOCOL_QUERY } protocol;
    const char *signing_name;
    const struct api_error *errors;
    size_t nerrors;
    /* After model validation: refuse what the model allows but the service
     * does not honour (ERR_INVALID naming the member); NULL: nothing more. */
    int (*check_input)(const struct service_model *model, const char *shape, const json_t *in, struct error *err);
    /* Why an operation of the model without an action is refused (appended
     * to the UnsupportedFeatureException's message); NULL: no reason. */
    const char *(*refusal_note)(const char *operation);
    /* The top-level member of an action's input that is large and regular
     * (BerthAgent.PutLogEvents' logEvents): a JSON body's is not built into
     * a tree but handed to the handler as text (op_ctx.raw) to read in
     * place.  NULL, or NULL returned: none. */
    const char *(*raw_member)(const char *action);
};

/* Check that a table is sorted by name with no name twice (the dispatcher
 * binary-searches it); -1 with ERR_INTERNAL naming the first offender. */
int api_check_actions(const struct api_action *actions, size_t n, struct error *err);

/* The dispatcher: services, the store their transactions run in, and the
 * change feed writes announce themselves on. */
struct dispatch *dispatch_new(struct store *store, struct changes *changes, const struct api_keys *keys,
                              const char *default_region, const char *account);
void dispatch_free(struct dispatch *d);
/* The store requests run against (GET /healthz asks it for the role). */
struct store *dispatch_store(struct dispatch *d);
/* Who decides what non-root callers may do (copied).  Until one is set,
 * only the account's root may call anything. */
void dispatch_set_authorizer(struct dispatch *d, const struct api_authorizer *z);
/* Serve svc (copied; its table must pass api_check_actions and its prefix
 * must be new). */
int dispatch_register(struct dispatch *d, const struct api_service *svc, struct error *err);

/* Handle one request.  Always fills resp (an error response on failure);
 * the caller frees resp->body. */
void api_handle(struct dispatch *d, const struct api_request *req, struct api_response *resp);

/* BerthAgent.SubmitReports: an agent's queued reports, each dispatched as
 * if it came alone, in one transaction (api.c). */
int api_submit_reports(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);

/* Run prefix's action (a service's target_prefix: "ElasticLoadBalancingV20151201",
 * "AmazonEC2ContainerServiceV20141113"...) on in, filling out, inside ctx's
 * request and transaction: validated against that service's model and
 * authorised as ctx's caller, exactly as if the caller had sent it.  For
 * actions composed of other services' (ECS's Express Gateway services);
 * its errors are the called action's, with their kinds. */
int api_call(struct op_ctx *ctx, const char *prefix, const char *action, json_t *in, json_t *out, struct error *err);

/* What an error kind answers with (api_errors.c): the exception name and
 * HTTP status; an unknown kind is a server fault. */
struct api_error {
    int kind;
    const char *name;
    int status;
};
const struct api_error *api_error_lookup(int kind);
/* The exception name for an error kind ("ClientException"...). */
const char *api_error_name(int kind);
/* What a client is told of err, answered with status: a client error's own
 * message; of a server fault, only that the store is unavailable (for
 * ERR_UNAVAILABLE: trying again later may succeed) or that one occurred
 * (the log has the detail). */
const char *api_error_message(const struct error *err, int status);
/* What an error kind answers with for svc (NULL: no service was found):
 * svc's own table first, then the common one. */
const struct api_error *api_service_error(const struct api_service *svc, int kind);
