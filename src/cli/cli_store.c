/* cli_store.c - `berth store schema [--dialect sqlite|postgres]`: prints
 * the store's migrations as each backend runs them, one statement script
 * per migration; `berth store migrate` copies a SQLite store into an
 * empty PostgreSQL database (store_copy.c); `berth store translate` prints one SQL statement (stdin)
 * as the PostgreSQL backend runs it.  With postgres that is store_sql_pg()'s translation after
 * its prelude: what a PostgreSQL backend will apply, and what the tests
 * apply to a real PostgreSQL to keep every migration translatable.  Those
 * two open no database. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "server/store/store_copy.h"
#include "server/store/store_schema.h"
#include "server/store/store_sql_pg.h"

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: berth store schema [--dialect sqlite|postgres]\n"
               "       berth store translate < statement.sql\n"
               "       berth store migrate --from sqlite:DIR --to postgres://USER@HOST/DB\n\n"
               "schema prints the store's schema migrations, in order, as the given backend runs them (default\n"
               "sqlite); translate prints a statement in the store's (SQLite) dialect as PostgreSQL runs it.\n"
               "migrate copies a stopped server's SQLite store (DIR/berth.db) into an empty PostgreSQL\n"
               "database: the schema, then every row in one transaction; a target that holds anything is\n"
               "refused.  Copy DIR/master.key to the servers' data directories too (it seals the secrets).\n");
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

/* berth store migrate --from sqlite:DIR --to postgres://...; the URL is
 * never echoed (it may hold a password) and is blanked in argv. */
static int migrate(int argc, char **argv)
{
    const char *from = NULL;
    char *to = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--from"))
            from = argv[i + 1];
        else if (!strcmp(argv[i], "--to"))
            to = argv[i + 1];
    }
    if (argc != 6 || !from || !to || strncmp(from, "sqlite:", 7) != 0 ||
        (strncmp(to, "postgres://", 11) != 0 && strncmp(to, "postgresql://", 13) != 0)) {
        fprintf(stderr, "berth store migrate: wants --from sqlite:DIR --to postgres://USER@HOST/DB\n");
        return 2;
    }
    _cleanup_free_ char *url = strdup(to);
    memset(to, 'x', strlen(to));
    if (!url)
        return 1;
    struct error err = {0};
    struct store_copy_stats st = {0};
    int r = store_copy_sqlite_to_pg(from + 7, url, &st, &err);
    explicit_bzero(url, strlen(url));
    if (r < 0) {
        fprintf(stderr, "berth store migrate: %s\n", err.msg);
        return 1;
    }
    printf("copied %lld rows of %lld tables from %s/berth.db\n", (long long)st.rows, (long long)st.tables, from + 7);
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
    if (!strcmp(argv[1], "migrate"))
        return migrate(argc, argv);
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
