/* acm_authz.c - what each Certificate Manager action asks of IAM (see
 * acm_authz.h), as the Service Authorization Reference lists them: the
 * IAM action (acm:<Action>) on the certificate's ARN,
 * arn:aws:acm:REGION:ACCOUNT:certificate/ID, with its tags
 * (aws:ResourceTag/KEY) and the request's aws:RequestTag/KEY and
 * aws:TagKeys.  ImportCertificate of a new certificate, ListCertificates
 * and RequestCertificate act on "*". */
#include "server/acm/acm_authz.h"

#include "common/cleanup.h"
#include "server/acm/acm.h"
#include "server/http/authz.h"

static int res_cert(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *arn = json_string_value(json_object_get(in, "CertificateArn"));
    if (!arn) {
        authz_resource(req, "*");
        return 0;
    }
    return authz_tagged_resource(ctx, req, arn, "acm", err);
}

/* Sorted by name as acm_service.c's table. */
static const struct authz_rule acm_rules[] = {
    {"AddTagsToCertificate", "acm:AddTagsToCertificate", res_cert, authz_keys_keyed_tags, false},
    {"DeleteCertificate", "acm:DeleteCertificate", res_cert, NULL, false},
    {"DescribeCertificate", "acm:DescribeCertificate", res_cert, NULL, false},
    {"GetCertificate", "acm:GetCertificate", res_cert, NULL, false},
    {"ImportCertificate", "acm:ImportCertificate", res_cert, authz_keys_keyed_tags, false},
    {"ListCertificates", "acm:ListCertificates", NULL, NULL, false},
    {"ListTagsForCertificate", "acm:ListTagsForCertificate", res_cert, NULL, false},
    {"RemoveTagsFromCertificate", "acm:RemoveTagsFromCertificate", res_cert, authz_keys_keyed_tags, false},
    {"RequestCertificate", "acm:RequestCertificate", NULL, authz_keys_keyed_tags, false},
};

const struct authz_rule *acm_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(acm_rules);
    return acm_rules;
}
