/* agent_update.h - UpdateContainerAgent.  An instance's agent is berth's
 * own, the server's build: there is never a newer one to move to. */
#pragma once

#include "server/http/api.h"

API_ACTION(action_update_container_agent);
