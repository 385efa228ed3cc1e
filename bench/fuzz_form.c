/* fuzz_form.c - libFuzzer target for the AWS query protocol: a form body
 * decoded by IAM's model into an operation's input, validated as the
 * dispatcher would, and the decoded JSON written back as that operation's
 * XML reply (any JSON against any output shape).  Any input must be
 * refused with a message or accepted, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/query_protocol.h"
#include "server/http/service_model.h"
#include "server/iam/iam_service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct api_service iam(void)
{
    static struct iam_service *s;
    struct error err;
    if (!s && iam_service_new(&s, &err) < 0)
        abort();
    return iam_service_api(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_service svc = iam();
    struct error err;
    json_t *form = NULL, *in = NULL;
    if (query_form_parse((const char *)data, size, &form, &err) < 0)
        return 0;
    const char *op = json_string_value(json_object_get(form, "Action"));
    if (op && service_model_has_operation(svc.model, op) && query_protocol_input(svc.model, op, form, &in, &err) == 0) {
        const char *shape = service_model_input_shape(svc.model, op);
        if (shape)
            service_model_validate(svc.model, shape, in, &err);
        struct api_response resp = {0};
        query_protocol_reply(&resp, svc.model, op, in);
        free(resp.body);
        query_protocol_error(&resp, &svc, &err);
        free(resp.body);
    }
    json_decref(in);
    json_decref(form);
    return 0;
}
