/* acm.h - what Certificate Manager's handlers share: the service's state,
 * its error kinds, the certificate document's kind in the store and the
 * handlers (acm_certs.c). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

struct secret_box;
struct service_model;

struct acm_service {
    struct service_model *model;
    const struct secret_box *box; /* seals every private key */
};

enum acm_error_kind {
    ACM_ERR_INVALID_ARN = API_ERR_MAX + 1,
    ACM_ERR_VALIDATION,
    ACM_ERR_IN_USE,
    ACM_ERR_TOO_MANY_TAGS,
    ACM_ERR_INVALID_TAG,
    ACM_ERR_NOT_IMPLEMENTED,
};

#define ACM_DOC_KIND "acm-certificate" /* store_docs kind; id: the ARN */
#define ACM_ARN_MAX 300
#define ACM_TAGS_MAX 50
#define ACM_PEM_MAX (64 * 1024) /* certificate, chain or key, decoded */
#define ACM_CERTS_MAX 2500      /* imported certificates a region holds */

API_ACTION(acm_import_certificate);
API_ACTION(acm_describe_certificate);
API_ACTION(acm_get_certificate);
API_ACTION(acm_list_certificates);
API_ACTION(acm_delete_certificate);
API_ACTION(acm_add_tags);
API_ACTION(acm_remove_tags);
API_ACTION(acm_list_tags);
API_ACTION(acm_request_certificate);
