/* secrets_service.h - Secrets Manager on the listener (X-Amz-Target
 * secretsmanager.*): its model, action table and error names.  Values are
 * sealed with the server's secret box. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct secrets_service;
struct secret_box;

/* box is borrowed and must outlive the service. */
int secrets_service_new(const struct secret_box *box, struct secrets_service **ret, struct error *err);
void secrets_service_free(struct secrets_service *s);
/* The service, for dispatch_register(). */
struct api_service secrets_service_api(struct secrets_service *s);
