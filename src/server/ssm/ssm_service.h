/* ssm_service.h - SSM Parameter Store on the listener (X-Amz-Target
 * AmazonSSM.*): its model, action table and error names.  Values are
 * sealed with the server's secret box. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct ssm_service;
struct secret_box;

/* box is borrowed and must outlive the service. */
int ssm_service_new(const struct secret_box *box, struct ssm_service **ret, struct error *err);
void ssm_service_free(struct ssm_service *s);
/* The service, for dispatch_register(). */
struct api_service ssm_service_api(struct ssm_service *s);
