/* elb_tags.c - AddTags, RemoveTags and DescribeTags on load balancers,
 * target groups, listeners and rules (by ARN), and DescribeAccountLimits
 * (the limits berth enforces). */
#include "server/elbv2/elb.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/tags.h"
#include "server/store/store_elb.h"
#include "server/store/store_tags.h"

/* The resource arn names must exist (a default rule counts as its listener). */
static int resource_check(struct op_ctx *ctx, const char *arn, struct error *err)
{
    const char *kind = !arn                             ? NULL
                       : strstr(arn, ":loadbalancer/")  ? STORE_ELB_LB
                       : strstr(arn, ":targetgroup/")   ? STORE_ELB_TG
                       : strstr(arn, ":listener-rule/") ? STORE_ELB_RULE
                       : strstr(arn, ":listener/")      ? STORE_ELB_LISTENER
                                                        : NULL;
    if (!kind)
        return error_set(err, ERR_INVALID, "'%.300s' is not a load balancing resource ARN.", arn ? arn : "");
    _cleanup_json_ json_t *doc = NULL;
    return elb_find(ctx, kind, arn, &doc, err);
}

API_ACTION(elb_add_tags)
{
    (void)out;
    json_t *tags = json_object_get(in, "Tags");
    size_t i;
    json_t *a;
    for (i = 0; i < json_array_size(tags); i++)
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(tags, i), "Key"),
                           json_object_get(json_array_get(tags, j), "Key")))
                return error_set(err, ELB_ERR_DUPLICATE_TAG_KEYS, "Tag key '%.128s' is given twice.",
                                 elb_str(json_array_get(tags, i), "Key"));
    json_array_foreach(json_object_get(in, "ResourceArns"), i, a) {
        int count = 0;
        if (resource_check(ctx, json_string_value(a), err) < 0 ||
            tags_put_keyed(ctx, json_string_value(a), tags, &count, err) < 0)
            return -1;
        if (count > ELB_TAGS_MAX)
            return error_set(err, ELB_ERR_TOO_MANY_TAGS, "A resource can have at most %d tags.", ELB_TAGS_MAX);
    }
    return 0;
}

API_ACTION(elb_remove_tags)
{
    (void)out;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(in, "ResourceArns"), i, a) {
        if (resource_check(ctx, json_string_value(a), err) < 0 ||
            store_tags_remove(ctx->tx, json_string_value(a), json_object_get(in, "TagKeys"), err) < 0)
            return -1;
    }
    return 0;
}

API_ACTION(elb_describe_tags)
{
    json_t *list = json_array();
    json_object_set_new(out, "TagDescriptions", list);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(in, "ResourceArns"), i, a) {
        if (resource_check(ctx, json_string_value(a), err) < 0)
            return -1;
        _cleanup_json_ json_t *tags = tags_list(ctx, json_string_value(a), err);
        if (!tags)
            return -1;
        json_t *keyed = tags_to_keyed(tags);
        if (!keyed)
            return error_set(err, ERR_INTERNAL, "out of memory");
        json_array_append_new(list, json_pack("{s:O, s:o}", "ResourceArn", a, "Tags", keyed));
    }
    return 0;
}

API_ACTION(elb_describe_account_limits)
{
    (void)ctx, (void)in, (void)err;
    static const struct {
        const char *name;
        int max;
    } limits[] = {
        {"application-load-balancers", ELB_LBS_MAX},
        {"network-load-balancers", ELB_LBS_MAX},
        {"listeners-per-application-load-balancer", ELB_LISTENERS_MAX},
        {"listeners-per-network-load-balancer", ELB_LISTENERS_MAX},
        {"rules-per-application-load-balancer", ELB_RULES_MAX},
        {"target-groups", ELB_TGS_MAX},
        {"targets-per-application-load-balancer", ELB_TARGETS_MAX},
        {"targets-per-network-load-balancer", ELB_TARGETS_MAX},
    };
    json_t *list = json_array();
    for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
        char max[16];
        snprintf(max, sizeof(max), "%d", limits[i].max);
        json_array_append_new(list, json_pack("{s:s, s:s}", "Name", limits[i].name, "Max", max));
    }
    json_object_set_new(out, "Limits", list);
    return 0;
}
