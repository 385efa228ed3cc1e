/* cli_flags.c - getopt_long driven by a subcommand's flag table.  The table
 * is turned into getopt's option array (each flag's value is its index, past
 * any character) and every option found is handed to its setter. */
#include "cli/cli_flags.h"

#include <getopt.h>
#include <string.h>

#include "cli/cli_util.h"

#define MAX_FLAGS 48
#define FLAG_BASE 256 /* getopt values above any short option character */

int cli_flags_parse(const struct cli_flags *c, int argc, char **argv, void *opts)
{
    struct option longopts[MAX_FLAGS + 1];
    char shortopts[2 * MAX_FLAGS + 2];
    size_t ns = 0;
    if (c->n > MAX_FLAGS)
        return CLI_FLAGS_BAD;
    if (c->in_order)
        shortopts[ns++] = '+';
    for (size_t i = 0; i < c->n; i++) {
        const struct cli_flag *f = &c->flags[i];
        longopts[i] = (struct option){f->name, f->has_arg ? required_argument : no_argument, NULL, FLAG_BASE + (int)i};
        if (f->short_name) {
            shortopts[ns++] = f->short_name;
            if (f->has_arg)
                shortopts[ns++] = ':';
        }
    }
    longopts[c->n] = (struct option){NULL, 0, NULL, 0};
    shortopts[ns] = '\0';
    int ch;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const struct cli_flag *f = NULL;
        for (size_t i = 0; i < c->n && !f; i++)
            if (ch == FLAG_BASE + (int)i || (ch < FLAG_BASE && ch == c->flags[i].short_name))
                f = &c->flags[i];
        if (!f) {
            c->usage(stderr);
            return CLI_FLAGS_BAD;
        }
        if (!f->set) {
            c->usage(stdout);
            return CLI_FLAGS_HELP;
        }
        if (f->set(opts, f, optarg) < 0)
            return CLI_FLAGS_BAD;
    }
    return CLI_FLAGS_OK;
}

int cli_flags_set_string(void *opts, const struct cli_flag *f, char *arg)
{
    char flag[64];
    snprintf(flag, sizeof(flag), "--%s", f->name);
    return cli_copy_arg((char *)opts + f->off, f->size, arg, flag);
}

int cli_flags_set_ptr(void *opts, const struct cli_flag *f, char *arg)
{
    *(const char **)((char *)opts + f->off) = arg;
    return 0;
}

int cli_flags_set_true(void *opts, const struct cli_flag *f, char *arg)
{
    *(bool *)((char *)opts + f->off) = true;
    return 0;
}
