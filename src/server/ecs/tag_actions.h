/* tag_actions.h - ECS's tagging actions. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

API_ACTION(action_tag_resource);
API_ACTION(action_untag_resource);
API_ACTION(action_list_tags_for_resource);
