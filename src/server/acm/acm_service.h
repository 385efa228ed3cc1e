/* acm_service.h - Certificate Manager on the listener (X-Amz-Target
 * CertificateManager.*): its model, action table and error names.
 * Private keys are sealed with the server's secret box. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct acm_service;
struct secret_box;

/* box is borrowed and must outlive the service. */
int acm_service_new(const struct secret_box *box, struct acm_service **ret, struct error *err);
void acm_service_free(struct acm_service *s);
/* The service, for dispatch_register(). */
struct api_service acm_service_api(struct acm_service *s);
