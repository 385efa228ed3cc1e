/* cli_flags.h - a subcommand's flags as a table (STYLE.md: tables over
 * if-chains): each long option names the setter that stores its value in
 * the subcommand's own options struct.  Parsing is still getopt_long's, so
 * abbreviations, argument permutation and getopt's messages are unchanged.
 * It does not know what any flag means; the subcommands' setters do. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli_flag;

/* Store arg (NULL for a flag that takes no value) in opts; 0, or -1 after
 * printing why to stderr. */
typedef int (*cli_flag_set_fn)(void *opts, const struct cli_flag *f, char *arg);

struct cli_flag {
    const char *name; /* long name, without the dashes */
    char short_name;  /* also -X; 0 for none */
    bool has_arg;
    cli_flag_set_fn set; /* NULL: this is --help */
    size_t off, size;    /* the field the generic setters below store into */
};

/* The field a generic setter stores into: CLI_FIELD(struct agent_opts, cfg.server). */
#define CLI_FIELD(type, member) .off = offsetof(type, member), .size = sizeof(((type *)0)->member)

struct cli_flags {
    const struct cli_flag *flags;
    size_t n;
    bool in_order;         /* stop at the first operand (getopt's "+") */
    void (*usage)(FILE *); /* --help prints it to stdout, a bad flag to stderr */
};

enum {
    CLI_FLAGS_OK = 0,   /* parsed; optind is at the first operand */
    CLI_FLAGS_HELP = 1, /* --help was printed: exit 0 */
    CLI_FLAGS_BAD = 2,  /* a usage error was printed: exit 2 */
};

/* Run getopt_long over argv with the table, calling each flag's setter on
 * opts.  Returns one of the CLI_FLAGS_* values.  optind is not reset. */
int cli_flags_parse(const struct cli_flags *c, int argc, char **argv, void *opts);

/* Generic setters.  A char array field: the value copied, refused (with
 * cli_copy_arg's message) when empty or too long. */
int cli_flags_set_string(void *opts, const struct cli_flag *f, char *arg);
/* A `const char *` field: the value itself (argv outlives the command). */
int cli_flags_set_ptr(void *opts, const struct cli_flag *f, char *arg);
/* A bool field: true. */
int cli_flags_set_true(void *opts, const struct cli_flag *f, char *arg);
