/* ssm.h - what SSM Parameter Store's handlers share: the service's state,
 * its error kinds, names and selectors (ssm_names.c), a version's lookup
 * and its JSON forms (ssm_params.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http/api.h"

struct secret_box;
struct service_model;

struct ssm_service {
    struct service_model *model;
    const struct secret_box *box; /* seals every value */
};

/* SSM's own error kinds (ssm_service.c names them). */
enum ssm_error_kind {
    SSM_ERR_ALREADY_EXISTS = API_ERR_MAX + 1,
    SSM_ERR_VERSION_NOT_FOUND,
    SSM_ERR_INVALID_RESOURCE_ID,
    SSM_ERR_INVALID_RESOURCE_TYPE,
    SSM_ERR_LABEL_LIMIT,
    SSM_ERR_INVALID_FILTER_KEY,
    SSM_ERR_INVALID_FILTER_OPTION,
    SSM_ERR_INVALID_FILTER_VALUE,
    SSM_ERR_TOO_MANY_TAGS,
    SSM_ERR_PATTERN_MISMATCH,
    SSM_ERR_INVALID_ALLOWED_PATTERN,
    SSM_ERR_INVALID_NEXT_TOKEN,
    SSM_ERR_INVALID_POLICY_TYPE,
    SSM_ERR_INVALID_POLICY_ATTRIBUTE,
    SSM_ERR_POLICIES_LIMIT,
    SSM_ERR_INCOMPATIBLE_POLICY,
};

/* Limits SSM documents. */
#define SSM_NAME_MAX 2048
#define SSM_DEPTH_MAX 15
#define SSM_VERSIONS_KEPT 100
#define SSM_LABELS_PER_VERSION 10
#define SSM_LABEL_MAX 100
#define SSM_TAGS_MAX 50
#define SSM_STANDARD_VALUE_MAX 4096
#define SSM_ADVANCED_VALUE_MAX 8192

/* ---- ssm_names.c: pure rules ---- */

/* A parameter name as PutParameter takes it: 1-2048 characters of letters,
 * digits and _.-/, at most 15 levels, a path starts with "/", no level
 * empty, no name beginning "aws" or "ssm" (any case). */
int ssm_name_check(const char *name, struct error *err);
/* The parameter's ARN: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, NAME
 * without its leading "/". */
void ssm_arn(const char *region, const char *account, const char *name, char *out, size_t cap);
/* A label LabelParameterVersion accepts: 1-100 characters of letters,
 * digits, ".-_", not starting with a digit or "aws"/"ssm". */
bool ssm_label_valid(const char *label);

/* What a client asked for: "NAME", "NAME:VERSION", "NAME:LABEL", or a
 * parameter's ARN in their place.  An ARN of a name without "/" in it may
 * name "x" or "/x": `alt` is the other. */
struct ssm_selector {
    char name[SSM_NAME_MAX + 2];
    char alt[SSM_NAME_MAX + 2];
    int64_t version; /* 0: none */
    char label[SSM_LABEL_MAX + 1];
    const char *selector; /* ":3" / ":label" as given, or NULL */
};
int ssm_selector_parse(const char *given, struct ssm_selector *ret, struct error *err);

/* ---- ssm_params.c ---- */

/* The version doc sel names: 1 with *ret_doc (new reference, its "Name"
 * the stored name); 0 with err filled (ParameterNotFound /
 * ParameterVersionNotFound) when it does not exist; -1. */
int ssm_resolve(struct op_ctx *ctx, const struct ssm_selector *sel, json_t **ret_doc, struct error *err);
/* A version doc's value: decrypted when decrypt or the type is not
 * SecureString, else the sealed text as AWS shows ciphertext.  New
 * reference; NULL with err filled. */
json_t *ssm_value(struct op_ctx *ctx, json_t *doc, bool decrypt, struct error *err);
/* LastModifiedDate as the JSON protocol sends it. */
json_t *ssm_date(json_t *doc);
/* A Parameter object (GetParameter...) for a version doc. */
json_t *ssm_parameter_json(struct op_ctx *ctx, json_t *doc, bool decrypt, const char *selector, struct error *err);

/* ---- ssm_list.c ---- */

/* MaxResults (1..max, default max) and NextToken, with SSM's errors. */
struct page;
int ssm_page_begin(json_t *in, const char *action, int max, struct page *ret_page, struct error *err);

/* ---- handlers ---- */
API_ACTION(ssm_put_parameter);
API_ACTION(ssm_get_parameter);
API_ACTION(ssm_get_parameters);
API_ACTION(ssm_delete_parameter);
API_ACTION(ssm_delete_parameters);
API_ACTION(ssm_get_parameter_history);
API_ACTION(ssm_label_parameter_version);
API_ACTION(ssm_unlabel_parameter_version);
API_ACTION(ssm_get_parameters_by_path);
API_ACTION(ssm_describe_parameters);
API_ACTION(ssm_add_tags_to_resource);
API_ACTION(ssm_list_tags_for_resource);
API_ACTION(ssm_remove_tags_from_resource);

/* ---- ssm_policies.c ---- */

/* PutParameter's Policies text: the ParameterInlinePolicy list to keep
 * (new reference) and the Expiration policy's time (µs since the epoch;
 * 0: none).  Notification policies are refused. */
int ssm_policies_parse(const char *text, usec_t now, json_t **ret_policies, int64_t *ret_expires, struct error *err);
/* Whether the parameter whose newest version is `latest` has expired: it
 * is then gone, as Parameter Store deletes it. */
bool ssm_expired(const struct op_ctx *ctx, json_t *latest);
