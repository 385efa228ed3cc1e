/* sd_service.h - Cloud Map on the listener (X-Amz-Target
 * Route53AutoNaming_v20170314.*): its model, action table and error
 * names. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct sd_service;

int sd_service_new(struct sd_service **ret, struct error *err);
void sd_service_free(struct sd_service *s);
/* The service, for dispatch_register(). */
struct api_service sd_service_api(struct sd_service *s);
