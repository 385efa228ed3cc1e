/* task_actions.h - the task actions users call: StartTask, StopTask,
 * DescribeTasks, ListTasks (RunTask is runtask.h). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

API_ACTION(action_start_task);
API_ACTION(action_stop_task);
API_ACTION(action_describe_tasks);
API_ACTION(action_list_tasks);
