/* ssm_history.c - a parameter's versions: GetParameterHistory and the
 * labels that name versions (LabelParameterVersion,
 * UnlabelParameterVersion).  A label names one version of a parameter at a
 * time: labelling another version moves it. */
#include "server/ssm/ssm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/paging.h"
#include "server/store/store_ssm.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The newest of a parameter's version docs. */
static json_t *newest(json_t *versions)
{
    json_t *best = NULL, *v;
    size_t i;
    json_array_foreach(versions, i, v) {
        if (!best ||
            json_integer_value(json_object_get(v, "Version")) > json_integer_value(json_object_get(best, "Version")))
            best = v;
    }
    return best;
}

/* The parameter a Name names (an ARN too, no selector): its stored name
 * into name and every version's doc into *ret_versions; 0, or -1 with
 * ParameterNotFound. */
static int load_versions(struct op_ctx *ctx, const char *given, char *name, size_t cap, json_t **ret_versions,
                         struct error *err)
{
    struct ssm_selector sel;
    if (ssm_selector_parse(given, &sel, err) < 0)
        return -1;
    const char *tries[2] = {sel.name, sel.alt};
    for (size_t i = 0; i < 2 && tries[i][0]; i++) {
        json_t *versions = json_array();
        if (!versions || store_ssm_versions(ctx->tx, ctx->region, tries[i], versions, err) < 0) {
            json_decref(versions);
            return versions ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
        }
        if (json_array_size(versions) > 0 && !ssm_expired(ctx, newest(versions))) {
            snprintf(name, cap, "%s", tries[i]);
            *ret_versions = versions;
            return 0;
        }
        json_decref(versions);
    }
    return error_set(err, ERR_NOT_FOUND, "Parameter %.2048s not found.", sel.name);
}

static json_t *history_item(struct op_ctx *ctx, json_t *doc, bool decrypt, struct error *err)
{
    json_t *value = ssm_value(ctx, doc, decrypt, err);
    if (!value)
        return NULL;
    json_t *h = json_pack("{s:O, s:O, s:o, s:O, s:o, s:O, s:O, s:O, s:O, s:[]}", "Name", json_object_get(doc, "Name"),
                          "Type", json_object_get(doc, "Type"), "Value", value, "Version",
                          json_object_get(doc, "Version"), "LastModifiedDate", ssm_date(doc), "LastModifiedUser",
                          json_object_get(doc, "LastModifiedUser"), "Labels", json_object_get(doc, "Labels"), "Tier",
                          json_object_get(doc, "Tier"), "DataType", json_object_get(doc, "DataType"), "Policies");
    if (h && json_object_get(doc, "Policies"))
        json_object_set(h, "Policies", json_object_get(doc, "Policies"));
    static const char *const optional[] = {"Description", "KeyId", "AllowedPattern"};
    for (size_t i = 0; h && i < ELEMENTSOF(optional); i++)
        if (json_object_get(doc, optional[i]))
            json_object_set(h, optional[i], json_object_get(doc, optional[i]));
    if (!h)
        error_set(err, ERR_INTERNAL, "out of memory");
    return h;
}

API_ACTION(ssm_get_parameter_history)
{
    char name[SSM_NAME_MAX + 2];
    _cleanup_json_ json_t *versions = NULL;
    if (load_versions(ctx, str(in, "Name"), name, sizeof(name), &versions, err) < 0)
        return -1;
    struct page page;
    if (ssm_page_begin(in, "GetParameterHistory", 50, &page, err) < 0)
        return -1;
    int64_t after = page.after ? strtoll(page.after, NULL, 10) : 0;
    page_free(&page);
    bool decrypt = json_is_true(json_object_get(in, "WithDecryption"));
    json_t *list = json_array();
    json_object_set_new(out, "Parameters", list);
    size_t i;
    json_t *doc;
    json_array_foreach(versions, i, doc) {
        json_int_t v = json_integer_value(json_object_get(doc, "Version"));
        if (v <= after)
            continue;
        if ((int)json_array_size(list) == page.limit) {
            char last[24];
            snprintf(last, sizeof(last), "%lld", (long long)after);
            return page_set_next_as(out, "GetParameterHistory", "NextToken", last) < 0
                       ? error_set(err, ERR_INTERNAL, "out of memory")
                       : 0;
        }
        json_t *h = history_item(ctx, doc, decrypt, err);
        if (!h)
            return -1;
        json_array_append_new(list, h);
        after = v;
    }
    return 0;
}

/* Whether labels (a JSON array of strings) holds label. */
static bool has_label(json_t *labels, const char *label)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l) {
        if (strcmp(json_string_value(l), label) == 0)
            return true;
    }
    return false;
}

/* Remove label from labels; whether it was there. */
static bool drop_label(json_t *labels, const char *label)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l) {
        if (strcmp(json_string_value(l), label) == 0) {
            json_array_remove(labels, i);
            return true;
        }
    }
    return false;
}

/* The doc of version v among versions, or NULL (ParameterVersionNotFound). */
static json_t *pick_version(json_t *versions, json_int_t v, const char *name, struct error *err)
{
    size_t i;
    json_t *doc;
    json_array_foreach(versions, i, doc) {
        if (json_integer_value(json_object_get(doc, "Version")) == v)
            return doc;
    }
    error_set(err, SSM_ERR_VERSION_NOT_FOUND,
              "Systems Manager could not find version %lld of %.2048s. Verify the version and try again.", (long long)v,
              name);
    return NULL;
}

/* Write back every version whose labels changed (all of them: few). */
static int save_versions(struct op_ctx *ctx, const char *name, json_t *versions, struct error *err)
{
    size_t i;
    json_t *doc;
    json_array_foreach(versions, i, doc) {
        json_int_t v = json_integer_value(json_object_get(doc, "Version"));
        if (store_ssm_version_put(ctx->tx, ctx->region, name, v, doc, 0, err) < 0)
            return -1;
    }
    return 0;
}

/* The version a request names (ParameterVersion, default the newest). */
static json_t *target_version(json_t *in, json_t *versions, const char *name, struct error *err)
{
    json_t *pv = json_object_get(in, "ParameterVersion");
    json_int_t v =
        pv ? json_integer_value(pv)
           : json_integer_value(json_object_get(json_array_get(versions, json_array_size(versions) - 1), "Version"));
    return pick_version(versions, v, name, err);
}

API_ACTION(ssm_label_parameter_version)
{
    char name[SSM_NAME_MAX + 2];
    _cleanup_json_ json_t *versions = NULL;
    if (load_versions(ctx, str(in, "Name"), name, sizeof(name), &versions, err) < 0)
        return -1;
    json_t *target = target_version(in, versions, name, err);
    if (!target)
        return -1;
    json_t *labels = json_object_get(target, "Labels");
    json_t *invalid = json_array();
    json_object_set_new(out, "InvalidLabels", invalid);
    size_t i, j;
    json_t *l, *doc;
    json_array_foreach(json_object_get(in, "Labels"), i, l) {
        const char *label = json_string_value(l);
        if (!ssm_label_valid(label)) {
            json_array_append(invalid, l);
            continue;
        }
        if (has_label(labels, label))
            continue;
        if (json_array_size(labels) >= SSM_LABELS_PER_VERSION)
            return error_set(err, SSM_ERR_LABEL_LIMIT,
                             "A parameter version can have maximum %d labels. Move one or more labels to another "
                             "version and try again.",
                             SSM_LABELS_PER_VERSION);
        json_array_foreach(versions, j, doc)
            drop_label(json_object_get(doc, "Labels"), label);
        json_array_append(labels, l);
    }
    json_object_set(out, "ParameterVersion", json_object_get(target, "Version"));
    return save_versions(ctx, name, versions, err);
}

API_ACTION(ssm_unlabel_parameter_version)
{
    char name[SSM_NAME_MAX + 2];
    _cleanup_json_ json_t *versions = NULL;
    if (load_versions(ctx, str(in, "Name"), name, sizeof(name), &versions, err) < 0)
        return -1;
    json_t *target = target_version(in, versions, name, err);
    if (!target)
        return -1;
    json_t *removed = json_array(), *invalid = json_array();
    json_object_set_new(out, "RemovedLabels", removed);
    json_object_set_new(out, "InvalidLabels", invalid);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(in, "Labels"), i, l) {
        bool gone = drop_label(json_object_get(target, "Labels"), json_string_value(l));
        json_array_append(gone ? removed : invalid, l);
    }
    return save_versions(ctx, name, versions, err);
}
