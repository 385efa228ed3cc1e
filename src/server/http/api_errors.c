/* api_errors.c - error kinds as AWS services name them: the exception name
 * and HTTP status each kind answers with.  Which protocol spells the reply
 * (JSON's __type, query's <Error><Code>) is the codec's business. */
#include "server/http/api.h"

#include "common/cleanup.h"

/* Error kind -> exception name and HTTP status.  Generic kinds map to the
 * exception an AWS service uses for them. */
static const struct api_error error_table[] = {
    {ERR_NONE, "ServerException", 500},
    {ERR_INTERNAL, "ServerException", 500},
    {ERR_SYSTEM, "ServerException", 500},
    {ERR_IO, "ServerException", 500},
    {ERR_UNAVAILABLE, "ServerException", 503},
    {ERR_INVALID, "InvalidParameterException", 400},
    {ERR_LIMIT, "InvalidParameterException", 400},
    {ERR_NOT_FOUND, "ResourceNotFoundException", 400},
    {ERR_CONFLICT, "ClientException", 400},
    {API_ERR_CLIENT, "ClientException", 400},
    {API_ERR_SERVER, "ServerException", 500},
    {API_ERR_UNKNOWN_OPERATION, "UnknownOperationException", 400},
    {API_ERR_SERIALIZATION, "SerializationException", 400},
    {API_ERR_CLUSTER_NOT_FOUND, "ClusterNotFoundException", 400},
    {API_ERR_CLUSTER_CONTAINS_SERVICES, "ClusterContainsServicesException", 400},
    {API_ERR_CLUSTER_CONTAINS_TASKS, "ClusterContainsTasksException", 400},
    {API_ERR_CLUSTER_CONTAINS_INSTANCES, "ClusterContainsContainerInstancesException", 400},
    {API_ERR_SERVICE_NOT_FOUND, "ServiceNotFoundException", 400},
    {API_ERR_SERVICE_NOT_ACTIVE, "ServiceNotActiveException", 400},
    {API_ERR_DAEMON_NOT_FOUND, "DaemonNotFoundException", 400},
    {API_ERR_DAEMON_NOT_ACTIVE, "DaemonNotActiveException", 400},
    {API_ERR_RESOURCE_NOT_FOUND, "ResourceNotFoundException", 400},
    {API_ERR_RESOURCE_IN_USE, "ResourceInUseException", 400},
    {API_ERR_RESOURCE_ALREADY_EXISTS, "ResourceAlreadyExistsException", 400},
    {API_ERR_LIMIT_EXCEEDED, "LimitExceededException", 400},
    {API_ERR_ATTRIBUTE_LIMIT_EXCEEDED, "AttributeLimitExceededException", 400},
    {API_ERR_TARGET_NOT_FOUND, "TargetNotFoundException", 400},
    {API_ERR_UNSUPPORTED_FEATURE, "UnsupportedFeatureException", 400},
    {API_ERR_PLATFORM_UNKNOWN, "PlatformUnknownException", 400},
    {API_ERR_ACCESS_DENIED, "AccessDeniedException", 400},
    {API_ERR_NO_UPDATE_AVAILABLE, "NoUpdateAvailableException", 400},
    {API_ERR_DATA_ALREADY_ACCEPTED, "DataAlreadyAcceptedException", 400},
    {API_ERR_INVALID_SEQUENCE_TOKEN, "InvalidSequenceTokenException", 400},
    {API_ERR_OPERATION_ABORTED, "OperationAbortedException", 400},
    {API_ERR_INVALID_OPERATION, "InvalidOperationException", 400},
    {API_ERR_MISSING_AUTHENTICATION, "MissingAuthenticationTokenException", 403},
    {API_ERR_INCOMPLETE_SIGNATURE, "IncompleteSignatureException", 400},
    {API_ERR_UNRECOGNIZED_CLIENT, "UnrecognizedClientException", 400},
    {API_ERR_INVALID_SIGNATURE, "InvalidSignatureException", 400},
    {API_ERR_EXPIRED_TOKEN, "ExpiredTokenException", 400},
};

const struct api_error *api_error_lookup(int kind)
{
    for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
        if (error_table[i].kind == kind)
            return &error_table[i];
    return &error_table[0];
}

const char *api_error_name(int kind) { return api_error_lookup(kind)->name; }

const char *api_error_message(const struct error *err, int status)
{
    if (err->kind == ERR_UNAVAILABLE)
        return "The store is unavailable (its database cannot be reached); try again later.";
    return status >= 500 ? "An internal error occurred." : err->msg;
}

const struct api_error *api_service_error(const struct api_service *svc, int kind)
{
    for (size_t i = 0; svc && i < svc->nerrors; i++)
        if (svc->errors[i].kind == kind)
            return &svc->errors[i];
    return api_error_lookup(kind);
}
