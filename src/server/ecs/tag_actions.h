/* tag_actions.h - ECS's tagging actions. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

int action_tag_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_untag_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_list_tags_for_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
