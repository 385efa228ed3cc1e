/* store_schema.h - the ordered list of schema migrations. */
#pragma once

#include <stddef.h>

/* Migration i (0-based) brings the schema from version i to i+1.  Append
 * only: a released migration is never edited. */
const char *const *store_schema_migrations(size_t *ret_count);
