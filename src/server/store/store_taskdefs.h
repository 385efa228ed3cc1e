/* store_taskdefs.h - task definitions and their families in the store. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct taskdef_row {
    int64_t id;
    char family[256];
    int revision;
    char arn[512];
    char status[24]; /* ACTIVE, INACTIVE, DELETE_IN_PROGRESS */
    usec_t registered_at;
    usec_t deregistered_at;     /* 0: not deregistered */
    usec_t delete_requested_at; /* 0: no delete requested */
    json_t *doc;                /* the TaskDefinition body without the columns above; owned */
};

void taskdef_row_clear(struct taskdef_row *row);

/* Take the next revision number of family (1 for a new family).  Numbers
 * are never handed out twice, even after the revisions are deleted. */
int store_taskdef_next_revision(struct store_tx *tx, const char *region, const char *family, int *ret_revision,
                                struct error *err);
/* The revision store_taskdef_next_revision would take, without taking it
 * (what a RegisterTaskDefinition will create, for its authorisation). */
int store_taskdef_peek_revision(struct store_tx *tx, const char *region, const char *family, int *ret_revision,
                                struct error *err);
/* Insert a new revision; sets row->id. */
int store_taskdef_insert(struct store_tx *tx, const char *region, struct taskdef_row *row, struct error *err);
/* Look up family:revision, or with revision 0 the latest ACTIVE revision.
 * 1 and *ret_row filled when found, 0 when absent, -1 on error. */
int store_taskdef_get(struct store_tx *tx, const char *region, const char *family, int revision,
                      struct taskdef_row *ret_row, struct error *err);
/* Store row's status and timestamps (by id). */
int store_taskdef_update_status(struct store_tx *tx, const struct taskdef_row *row, struct error *err);

/* Where a listing resumes: after (family, revision) in the listing's order. */
struct taskdef_cursor {
    bool set;
    char family[256];
    int revision;
};

/* ARNs of revisions with the given status (and of one family if family is
 * non-NULL), ordered by family then revision, descending with desc; at most
 * limit after *cursor.  On return *cursor is the last row returned and
 * *ret_more says whether more follow. */
int store_taskdef_list(struct store_tx *tx, const char *region, const char *family, const char *status, bool desc,
                       struct taskdef_cursor *cursor, int limit, json_t *ret_arns, bool *ret_more, struct error *err);
/* Family names starting with prefix (NULL: all), sorted, after `after`.
 * status "ACTIVE": families with an ACTIVE revision; "INACTIVE": families
 * with revisions but none ACTIVE; "ALL": both. */
int store_taskdef_families(struct store_tx *tx, const char *region, const char *prefix, const char *status,
                           const char *after, int limit, json_t *ret_names, bool *ret_more, struct error *err);
/* Remove every DELETE_IN_PROGRESS revision (all regions) and its tags;
 * *ret_count is how many went. */
int store_taskdef_reap(struct store_tx *tx, int *ret_count, struct error *err);
