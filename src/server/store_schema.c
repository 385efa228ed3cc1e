/* store_schema.c - the database schema, as append-only migrations.
 *
 * Resources keep their ECS description as a JSON document (`doc`) next to
 * the columns that queries filter, sort or join on; those columns are the
 * source of truth for what they hold and are merged into the document when
 * it is read. */
#include "store_schema.h"

static const char *const migrations[] = {
    /* 1: clusters, task definitions, tags */
    "CREATE TABLE clusters ("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE (region, name));"
    "CREATE TABLE task_definition_families ("
    "  region TEXT NOT NULL,"
    "  family TEXT NOT NULL,"
    "  last_revision INTEGER NOT NULL,"
    "  PRIMARY KEY (region, family));"
    "CREATE TABLE task_definitions ("
    "  id INTEGER PRIMARY KEY,"
    "  region TEXT NOT NULL,"
    "  family TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  arn TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  registered_at INTEGER NOT NULL,"
    "  deregistered_at INTEGER,"
    "  delete_requested_at INTEGER,"
    "  doc TEXT NOT NULL,"
    "  UNIQUE (region, family, revision));"
    "CREATE INDEX task_definitions_status ON task_definitions (region, status, family, revision);"
    "CREATE TABLE tags ("
    "  arn TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (arn, key)) WITHOUT ROWID;",
};

const char *const *store_schema_migrations(size_t *ret_count)
{
    *ret_count = sizeof(migrations) / sizeof(migrations[0]);
    return migrations;
}
