/* cli_store.c - `berth store schema [--dialect sqlite|postgres]`: prints
 * the store's migrations as each backend runs them, one statement script
 * per migration; `berth store translate` prints one SQL statement (stdin)
 * as the PostgreSQL backend runs it.  With postgres that is store_sql_pg()'s translation after
 * its prelude: what a PostgreSQL backend will apply, and what the tests
 * apply to a real PostgreSQL to keep every migration translatable.  It
 * opens no database. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "server/store/store_schema.h"
#include "server/store/store_sql_pg.h"

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: berth store schema [--dialect sqlite|postgres]\n"
               "       berth store translate < statement.sql\n\n"
               "schema prints the store's schema migrations, in order, as the given backend runs them (default\n"
               "sqlite); translate prints a statement in the store's (SQLite) dialect as PostgreSQL runs it.\n");
    return rc;
}

static int print_schema(bool postgres)
{
    size_t n = 0;
    const char *const *migrations = store_schema_migrations(&n);
    if (postgres)
        printf("%s;\n", store_sql_pg_prelude);
    for (size_t i = 0; i < n; i++) {
        printf("-- migration %zu\n", i + 1);
        if (!postgres) {
            printf("%s\n", migrations[i]);
            continue;
        }
        struct error err = {0};
        _cleanup_free_ char *sql = NULL;
        if (store_sql_pg(migrations[i], &sql, &err) < 0) {
            fprintf(stderr, "berth store schema: migration %zu: %s\n", i + 1, err.msg);
            return 1;
        }
        printf("%s;\n", sql);
    }
    return 0;
}

/* Statements are source literals: a few KiB. */
#define TRANSLATE_MAX (256 * 1024)

static int translate(void)
{
    _cleanup_free_ char *sql = malloc(TRANSLATE_MAX + 1);
    if (!sql)
        return 1;
    size_t n = fread(sql, 1, TRANSLATE_MAX + 1, stdin);
    if (n > TRANSLATE_MAX) {
        fprintf(stderr, "berth store translate: more than %d bytes of SQL\n", TRANSLATE_MAX);
        return 1;
    }
    sql[n] = 0;
    struct error err = {0};
    _cleanup_free_ char *pg = NULL;
    if (store_sql_pg(sql, &pg, &err) < 0) {
        fprintf(stderr, "berth store translate: %s\n", err.msg);
        return 1;
    }
    printf("%s\n", pg);
    return 0;
}

int cli_store_main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, 2);
    if (!strcmp(argv[1], "--help"))
        return usage(stdout, 0);
    if (!strcmp(argv[1], "translate") && argc == 2)
        return translate();
    if (strcmp(argv[1], "schema") != 0) {
        fprintf(stderr, "berth store: unknown subcommand '%s'\n", argv[1]);
        return usage(stderr, 2);
    }
    const char *dialect = "sqlite";
    if (argc == 4 && !strcmp(argv[2], "--dialect"))
        dialect = argv[3];
    else if (argc == 3 && !strncmp(argv[2], "--dialect=", 10))
        dialect = argv[2] + 10;
    else if (argc != 2)
        return usage(stderr, 2);
    if (strcmp(dialect, "sqlite") != 0 && strcmp(dialect, "postgres") != 0) {
        fprintf(stderr, "berth store schema: --dialect is sqlite or postgres, not '%s'\n", dialect);
        return 2;
    }
    return print_schema(!strcmp(dialect, "postgres"));
}
