/* logs_service.h - CloudWatch Logs on the listener: its model and action
 * table.  Its handlers need no state beyond the store. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct logs_service;

int logs_service_new(struct logs_service **ret, struct error *err);
void logs_service_free(struct logs_service *l);
/* The service, for dispatch_register(). */
struct api_service logs_service_api(struct logs_service *l);
