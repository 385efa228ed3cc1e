/* list_arns.c - the List* actions' answer (see list_arns.h).  Names come
 * from the store, whose columns bound them, so an ARN always fits. */
#include "server/ecs/list_arns.h"

#include "server/http/paging.h"

void list_arns_answer(const struct op_ctx *ctx, const char *cluster, json_t *names, bool more, list_arn_fn *arn_of,
                      const char *member, const char *token_key, json_t *out)
{
    json_t *arns = json_array();
    json_object_set_new(out, member, arns);
    size_t i;
    json_t *v;
    char arn[800];
    json_array_foreach(names, i, v) {
        arn_of(ctx, cluster, json_string_value(v), arn, sizeof(arn));
        json_array_append_new(arns, json_string(arn));
    }
    if (more && json_array_size(names) > 0)
        page_set_next(out, token_key, json_string_value(json_array_get(names, json_array_size(names) - 1)));
}
