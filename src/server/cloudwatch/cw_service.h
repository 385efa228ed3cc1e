/* cw_service.h - CloudWatch metrics on the listener, in both protocols
 * its clients pick: JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.*)
 * and the AWS query protocol (credential scope "monitoring"). */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct cloudwatch_service;

int cloudwatch_service_new(struct cloudwatch_service **ret, struct error *err);
void cloudwatch_service_free(struct cloudwatch_service *s);
/* The service for JSON 1.0 clients (boto3), for dispatch_register(). */
struct api_service cloudwatch_service_api(struct cloudwatch_service *s);
/* The same service for AWS query clients (the AWS CLI v2 here). */
struct api_service cloudwatch_service_query_api(struct cloudwatch_service *s);
