/* resource_refs.c - resource references shared by the Describe/List actions. */
#include "server/ecs/resource_refs.h"

#include <ctype.h>
#include <string.h>

const char *resource_refs_id(const char *ref)
{
    if (strncmp(ref, "arn:", 4) == 0) {
        const char *slash = strrchr(ref, '/');
        return slash ? slash + 1 : "";
    }
    return ref;
}

bool resource_refs_is_id32(const char *s)
{
    if (strlen(s) != 32)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

bool resource_refs_name_ok(const char *s, size_t max, const char *punct)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && !strchr(punct, c))
            return false;
    }
    return true;
}

bool resource_refs_include(json_t *in, const char *what)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v) {
        if (strcmp(json_string_value(v), what) == 0)
            return true;
    }
    return false;
}

void resource_refs_set_tags(json_t *obj, json_t *tags)
{
    if (json_array_size(tags) > 0)
        json_object_set_new(obj, "tags", tags);
    else
        json_decref(tags);
}

void resource_refs_add_missing(json_t *failures, const char *ref, const char *arn_if_bare)
{
    const char *arn = strncmp(ref, "arn:", 4) == 0 ? ref : arn_if_bare;
    json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn, "reason", "MISSING"));
}
