/* exec_command.h - ECS Exec's API: ExecuteCommand (the session itself is
 * exec_sessions.h). */
#pragma once

#include <jansson.h>

#include "common/error.h"
#include "server/http/api.h"

API_ACTION(action_execute_command);

/* Split ExecuteCommand's command string into words as a shell would split
 * a simple command: blanks separate words, single quotes keep everything,
 * double quotes keep all but \" and \\, a backslash outside quotes keeps
 * the next character.  No expansion, no operators (pipes need
 * `sh -c '...'`, as on ECS).  Appends the words to argv. */
int exec_command_split(const char *cmd, json_t *argv, struct error *err);
