/* store_copy.h - copying a SQLite store into PostgreSQL (`berth store
 * migrate`). */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct store_copy_stats {
    int64_t tables, rows;
};

/* Copy the SQLite store under sqlite_dir (DIR/berth.db, opened read-only,
 * at this berth's schema version) into the PostgreSQL database at pg_url,
 * which must be empty (no tables, or berth's without rows): the schema is
 * made by the same migrations, then every row is copied in one
 * transaction.  ERR_CONFLICT for a target that is not empty; err never
 * repeats pg_url. */
int store_copy_sqlite_to_pg(const char *sqlite_dir, const char *pg_url, struct store_copy_stats *ret,
                            struct error *err);
