/* agent_join.h - how the agent's instances join the cluster, and who the
 * agent is afterwards.
 *
 * One real instance joins through BerthAgent.RegisterContainerInstance and
 * from then on signs everything with the credentials issued to it, kept
 * (0600) in DATA/instance.json with its ARN, so that a restarted agent is
 * the same instance with the same identity and needs no token again.
 * Hollow instances (scale tests) register through ECS's own call with the
 * identity the agent was given, and keep signing with it. */
#pragma once

#include "agent/agent.h"
#include "common/awsjson.h"
#include "common/error.h"

/* Join as inst (a real agent's one instance): with its stored credentials
 * if it has any, else with a->cfg.token, else with a->cfg.creds.  On
 * success inst->arn is set and a->cfg.creds holds what the agent signs
 * with from now on.  Retries while the server cannot be reached (until the
 * agent stops); -1 when it refuses. */
int agent_join(struct agent_instance *inst, struct error *err);

/* Register hollow instance inst over client (signing as the agent's
 * identity), as the same instance again when its data dir knows it. */
int agent_join_hollow(struct agent_instance *inst, struct awsjson_client *client, struct error *err);
