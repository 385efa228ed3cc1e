/* elb_service.h - Elastic Load Balancing v2 on the listener (AWS query
 * protocol, signing name elasticloadbalancing, Version 2015-12-01): its
 * model, action table and error names, and its data plane. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct elb_service;
struct elb_proxy;

int elb_service_new(struct elb_service **ret, struct error *err);
void elb_service_free(struct elb_service *s);
/* The data plane DescribeTargetHealth reads (not owned; may be NULL). */
void elb_service_set_proxy(struct elb_service *s, struct elb_proxy *proxy);
/* The service, for dispatch_register(). */
struct api_service elb_service_api(struct elb_service *s);
