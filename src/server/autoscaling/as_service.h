/* as_service.h - Application Auto Scaling on the listener (JSON 1.1,
 * X-Amz-Target AnyScaleFrontendService.*) for ECS services' desired count,
 * and the evaluation thread's job (autoscaling.h: autoscaling_tick). */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct autoscaling_service;

int autoscaling_service_new(struct autoscaling_service **ret, struct error *err);
void autoscaling_service_free(struct autoscaling_service *s);
struct api_service autoscaling_service_api(struct autoscaling_service *s);
