/* iam_service.h - the IAM service on berth's listener (AWS query
 * protocol): its model, action table and error names. */
#pragma once

#include "common/error.h"
#include "server/http/api.h"

struct iam_service;
struct keyring;

int iam_service_new(struct iam_service **ret, struct error *err);
void iam_service_free(struct iam_service *s);
/* The keyring access keys go to (opened after the service is made). */
void iam_service_set_keyring(struct iam_service *s, struct keyring *keyring);
struct api_service iam_service_api(struct iam_service *s);
