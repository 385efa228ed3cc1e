/* task_actions.h - the task actions users call: StartTask, StopTask,
 * DescribeTasks, ListTasks (RunTask is runtask.h). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

int action_start_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_stop_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_describe_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_list_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
