/* cw_authz.c - what each CloudWatch metric action asks of IAM, as the
 * Service Authorization Reference lists them: cloudwatch:<Action> on "*"
 * (metrics have no ARN), and PutMetricData with cloudwatch:namespace. */
#include "server/cloudwatch/cw_authz.h"

#include "common/cleanup.h"
#include "server/http/authz.h"

static int key_namespace(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    (void)ctx;
    (void)err;
    authz_key(req, "cloudwatch:namespace", json_string_value(json_object_get(in, "Namespace")));
    return 0;
}

/* Sorted by name as cw_service.c's table. */
static const struct authz_rule cw_rules[] = {
    {"GetMetricData", "cloudwatch:GetMetricData", NULL, NULL, false},
    {"GetMetricStatistics", "cloudwatch:GetMetricStatistics", NULL, NULL, false},
    {"ListMetrics", "cloudwatch:ListMetrics", NULL, NULL, false},
    {"PutMetricData", "cloudwatch:PutMetricData", NULL, key_namespace, false},
};

const struct authz_rule *cw_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(cw_rules);
    return cw_rules;
}
