/* describe.c - the Describe* actions' loop over references (see describe.h).
 * It only walks the list: looking a reference up, showing what it names and
 * naming what is missing are the action's callbacks. */
#include "server/ecs/describe.h"

#include "common/cleanup.h"
#include "server/ecs/clusters.h"
#include "server/ecs/resource_refs.h"

int describe_refs(const struct describe *d, const struct describe_kind *kind, json_t *refs, json_t *out,
                  struct error *err)
{
    if (kind->empty && json_array_size(refs) == 0)
        return error_set(err, kind->empty_kind, "%s", kind->empty);
    if (json_array_size(refs) > kind->max)
        return error_set(err, ERR_INVALID, "A maximum of %zu %s can be described at a time.", kind->max, kind->noun);
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, kind->member, list);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        const char *ref = json_string_value(v);
        json_t *j = NULL;
        int r = kind->find(d, ref, &j, err);
        if (r < 0)
            return -1;
        if (r == 0) {
            kind->missing(d, ref, failures);
            continue;
        }
        json_array_append_new(list, j);
    }
    return 0;
}

int describe_in_cluster(struct op_ctx *ctx, json_t *in, const struct describe_kind *kind, json_t *out,
                        struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    struct describe d = {
        .ctx = ctx,
        .cluster = &cluster,
        .with_tags = resource_refs_include(in, "TAGS"),
    };
    return describe_refs(&d, kind, json_object_get(in, kind->member), out, err);
}
