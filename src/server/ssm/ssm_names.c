/* ssm_names.c - SSM's naming rules: parameter names, their ARNs, labels
 * and the "NAME:VERSION" / "NAME:LABEL" selectors.  Pure: no store, no
 * JSON, so unit tests cover it (tests/unit/test_ssm_names.c). */
#include "server/ssm/ssm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool reserved_prefix(const char *s) { return strncasecmp(s, "aws", 3) == 0 || strncasecmp(s, "ssm", 3) == 0; }

int ssm_name_check(const char *name, struct error *err)
{
    size_t len = strlen(name);
    if (len < 1 || len > SSM_NAME_MAX)
        return error_set(err, ERR_INVALID, "Parameter name must be between 1 and %d characters.", SSM_NAME_MAX);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-/", *p))
            return error_set(err, ERR_INVALID,
                             "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If "
                             "formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path "
                             "can be formed as a mix of letters, numbers and the following 3 symbols .-_");
    const char *first = name[0] == '/' ? name + 1 : name;
    if (reserved_prefix(first))
        return error_set(err, ERR_INVALID,
                         "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
    if (strchr(name, '/') && name[0] != '/')
        return error_set(err, ERR_INVALID, "Parameter name must be a fully qualified name.");
    if (strstr(name, "//") || (len > 1 && name[len - 1] == '/') || strcmp(name, "/") == 0)
        return error_set(err, ERR_INVALID, "Parameter name must be a fully qualified name.");
    int depth = 0;
    for (const char *p = name; *p; p++)
        depth += *p == '/';
    if (depth > SSM_DEPTH_MAX)
        return error_set(err, ERR_INVALID, "A parameter name can have at most %d levels of hierarchy.", SSM_DEPTH_MAX);
    return 0;
}

void ssm_arn(const char *region, const char *account, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:ssm:%s:%s:parameter/%s", region, account, name[0] == '/' ? name + 1 : name);
}

bool ssm_label_valid(const char *label)
{
    size_t len = strlen(label);
    if (len < 1 || len > SSM_LABEL_MAX || isdigit((unsigned char)label[0]) || reserved_prefix(label))
        return false;
    for (const char *p = label; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
            return false;
    return true;
}

/* The name part of an ARN "arn:aws:ssm:R:A:parameter/REST" into sel. */
static int name_from_arn(const char *given, size_t len, struct ssm_selector *sel, struct error *err)
{
    const char *p = given;
    for (int colons = 0; colons < 5; colons++) {
        p = memchr(p, ':', len - (size_t)(p - given));
        if (!p)
            return error_set(err, ERR_INVALID, "Invalid parameter ARN.");
        p++;
    }
    size_t rest = len - (size_t)(p - given);
    if (rest <= 10 || strncmp(p, "parameter/", 10) != 0 || rest - 9 > SSM_NAME_MAX)
        return error_set(err, ERR_INVALID, "Invalid parameter ARN.");
    /* "parameter/a/b" is "/a/b"; "parameter/a" is "a" or "/a". */
    const char *tail = p + 9; /* at the "/" */
    bool path = memchr(tail + 1, '/', rest - 10) != NULL;
    snprintf(sel->name, sizeof(sel->name), "%.*s", (int)(rest - (path ? 9 : 10)), path ? tail : tail + 1);
    if (!path)
        snprintf(sel->alt, sizeof(sel->alt), "/%s", sel->name);
    return 0;
}

int ssm_selector_parse(const char *given, struct ssm_selector *ret, struct error *err)
{
    memset(ret, 0, sizeof(*ret));
    bool arn = strncmp(given, "arn:", 4) == 0;
    /* A selector follows the last ":" (names have none; ARNs have 5). */
    const char *colon = strrchr(given, ':');
    int colons = 0;
    for (const char *p = given; *p; p++)
        colons += *p == ':';
    if (colon && colons == (arn ? 6 : 1))
        ret->selector = colon;
    else
        colon = NULL;
    size_t len = colon ? (size_t)(colon - given) : strlen(given);
    if (arn) {
        if (name_from_arn(given, len, ret, err) < 0)
            return -1;
    } else if (len > SSM_NAME_MAX || len == 0) {
        return error_set(err, ERR_INVALID, "Parameter name must be between 1 and %d characters.", SSM_NAME_MAX);
    } else
        snprintf(ret->name, sizeof(ret->name), "%.*s", (int)len, given);
    if (!colon)
        return 0;
    const char *sel = colon + 1;
    if (*sel && strspn(sel, "0123456789") == strlen(sel)) {
        ret->version = strtoll(sel, NULL, 10);
        if (ret->version < 1)
            return error_set(err, ERR_INVALID, "Invalid version selector.");
        return 0;
    }
    if (!ssm_label_valid(sel))
        return error_set(err, ERR_INVALID, "Invalid label selector: %.100s", sel);
    snprintf(ret->label, sizeof(ret->label), "%s", sel);
    return 0;
}
