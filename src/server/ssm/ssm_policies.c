/* ssm_policies.c - parameter policies (PutParameter's Policies): the
 * Expiration policy honoured (the parameter is gone once it expires), the
 * notification policies refused (berth has no EventBridge to send their
 * events to).  See ssm.h. */
#include "server/ssm/ssm.h"

#include <string.h>

#include "common/cleanup.h"
#include "common/isodate.h"

#define POLICIES_MAX 10

static int attribute_error(struct error *err, const char *what)
{
    return error_set(err, SSM_ERR_INVALID_POLICY_ATTRIBUTE, "Invalid policy: %s", what);
}

/* One policy object into `list` (ParameterInlinePolicy), its expiry (µs
 * since the epoch) into *expires. */
static int one_policy(json_t *p, usec_t now, json_t *list, int64_t *expires, struct error *err)
{
    const char *type = json_string_value(json_object_get(p, "Type"));
    if (!json_is_object(p) || !type)
        return attribute_error(err, "each policy is an object with a Type.");
    if (strcmp(type, "ExpirationNotification") == 0 || strcmp(type, "NoChangeNotification") == 0)
        return error_set(err, SSM_ERR_INVALID_POLICY_TYPE,
                         "berth does not support the %s policy: it has no EventBridge to send its events to. "
                         "Expiration is supported.",
                         type);
    if (strcmp(type, "Expiration") != 0)
        return error_set(err, SSM_ERR_INVALID_POLICY_TYPE,
                         "The policy type %.64s isn't supported. Parameter Store supports the following policy "
                         "types: Expiration, ExpirationNotification, and NoChangeNotification.",
                         type);
    if (!json_is_string(json_object_get(p, "Version")) ||
        strcmp(json_string_value(json_object_get(p, "Version")), "1.0"))
        return attribute_error(err, "Version must be \"1.0\".");
    const char *stamp = json_string_value(json_object_get(json_object_get(p, "Attributes"), "Timestamp"));
    int64_t lo, hi;
    if (!stamp || isodate_parse(stamp, &lo, &hi) < 0)
        return attribute_error(err, "an Expiration policy needs Attributes.Timestamp, an ISO 8601 date and time.");
    if (lo <= (int64_t)now)
        return attribute_error(err, "the Expiration Timestamp must be in the future.");
    if (*expires)
        return error_set(err, SSM_ERR_INCOMPATIBLE_POLICY,
                         "There is a conflict in the policies specified for this parameter: more than one "
                         "Expiration.");
    *expires = lo;
    _cleanup_free_ char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *item =
        text ? json_pack("{s:s, s:s, s:s}", "PolicyText", text, "PolicyType", type, "PolicyStatus", "Pending") : NULL;
    if (!item || json_array_append_new(list, item) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int ssm_policies_parse(const char *text, usec_t now, json_t **ret_policies, int64_t *ret_expires, struct error *err)
{
    _cleanup_json_ json_t *given = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(given))
        return attribute_error(err, "Policies must be a JSON array of policy objects.");
    if (json_array_size(given) > POLICIES_MAX)
        return error_set(err, SSM_ERR_POLICIES_LIMIT,
                         "You specified more than the maximum number of allowed policies for the parameter. The "
                         "maximum is %d.",
                         POLICIES_MAX);
    _cleanup_json_ json_t *list = json_array();
    int64_t expires = 0;
    size_t i;
    json_t *p;
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_array_foreach(given, i, p) {
        if (one_policy(p, now, list, &expires, err) < 0)
            return -1;
    }
    *ret_policies = TAKE_PTR(list);
    *ret_expires = expires;
    return 0;
}

bool ssm_expired(const struct op_ctx *ctx, json_t *latest)
{
    json_int_t at = json_integer_value(json_object_get(latest, "ExpiresAt"));
    return at > 0 && at <= (json_int_t)ctx->now;
}
