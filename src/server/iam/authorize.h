/* authorize.h - the dispatcher's authoriser (server/http/authz.h): each
 * check a request asks for is evaluated against the caller's
 * identity-based policies (identity.h) - explicit Deny over Allow over the
 * implicit deny - and a refusal answers AccessDeniedException with AWS's
 * message.  Container instance principals (agents signing with their
 * instance's credentials) get a built-in policy instead: the calls an
 * agent makes, nothing else. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "server/http/authz.h"

struct authorizer;
struct policy;

int authorizer_new(struct authorizer **ret, struct error *err);
void authorizer_free(struct authorizer *z);
/* For dispatch_set_authorizer(); z outlives the dispatcher. */
struct api_authorizer authorizer_api(struct authorizer *z);
/* Whether principal is a container instance of account
 * (arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID). */
bool authorize_is_instance(const char *principal, const char *account);
/* Every check of checks (authz_describe's) against the n policies ps
 * together: 0 when all are allowed, else -1 with AccessDeniedException
 * naming the first that is not. */
int authorize_checks(const struct policy *const *ps, size_t n, const char *principal, json_t *checks,
                     struct error *err);
