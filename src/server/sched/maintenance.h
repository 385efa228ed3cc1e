/* maintenance.h - the server's periodic housekeeping thread. */
#pragma once

#include "common/error.h"

struct store;
struct changes;
struct maintenance;

/* Every few seconds: expire tasks stopped over an hour ago, remove task
 * definitions left DELETE_IN_PROGRESS, delete log events past their group's
 * retention and those of deleted log streams and groups.  The thread ends
 * when the change feed stops. */
int maintenance_start(struct store *store, struct changes *changes, struct maintenance **ret, struct error *err);
/* Join the thread (after changes_stop); accepts NULL. */
void maintenance_stop(struct maintenance *m);
