/* elb_state.c - the server-state file of a load balancer's HAProxy (see
 * elb_state.h).
 *
 * HAProxy 2.6 starts every server of a configuration up ("init-state"
 * came with 3.1), then takes it down on its first failed check: a newly
 * registered target would take requests before any check.  What it does
 * honour is the state file it loads at start and on reload, matched on
 * backend and server names: a line naming a server with srv_op_state 0
 * (stopped) starts it down with its health at zero, and rise checks in a
 * row take it up.  So each configuration is loaded with the state the
 * running worker reports (the servers it knows keep their health, through
 * any number of reloads) plus such a line for every server it does not
 * know.  Servers without checks (HealthCheckEnabled false) get no line:
 * they serve at once, as ELB sends traffic to a target it cannot check.
 *
 * Reads the configuration's text as elb_haproxy.c writes it: "backend"
 * at the start of a line, then "    server NAME ADDR:PORT options". */
#include "server/elbv2/elb_state.h"

#include <stdbool.h>
#include <string.h>

#include "common/cleanup.h"

/* Version 1, as HAProxy 2.6 writes it; HAProxy skips the comment. */
#define STATE_HEADER                                                                                                   \
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "                \
    "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state "   \
    "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr "            \
    "srv_agent_addr srv_agent_port\n"

/* Words are names, addresses and options: longer ones are not ours. */
#define STATE_WORD_MAX 256

static const char *next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl && nl[1] ? nl + 1 : NULL;
}

/* The n'th word (from 0) of the line at p into out; false when the line
 * has fewer words or that one does not fit. */
static bool word(const char *p, int n, char *out, size_t cap)
{
    for (int i = 0;; i++) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            return false;
        size_t len = strcspn(p, " \n");
        if (i == n) {
            if (len >= cap)
                return false;
            memcpy(out, p, len);
            out[len] = '\0';
            return true;
        }
        p += len;
    }
}

/* Whether one of the options of a server line (its fourth word on) is w. */
static bool has_option(const char *line, const char *w)
{
    char opt[STATE_WORD_MAX];
    for (int i = 3; word(line, i, opt, sizeof(opt)); i++) {
        if (strcmp(opt, w) == 0)
            return true;
    }
    return false;
}

static int mark(json_t *set, const char *be, const char *srv)
{
    json_t *g = json_object_get(set, be);
    if (!g) {
        g = json_object();
        if (!g || json_object_set_new(set, be, g) < 0)
            return -1;
    }
    return json_object_set_new(g, srv, json_true());
}

static bool marked(json_t *set, const char *be, const char *srv)
{
    return json_object_get(json_object_get(set, be), srv) != NULL;
}

/* Copy saved when it is a version 1 file; the servers it names into known. */
static void copy_saved(const char *saved, json_t *known, struct buf *ret)
{
    if (!saved || strncmp(saved, "1\n", 2) != 0) {
        buf_append_str(ret, STATE_HEADER);
        return;
    }
    buf_append_str(ret, saved);
    if (ret->len > 0 && ret->data[ret->len - 1] != '\n')
        buf_append_char(ret, '\n');
    for (const char *line = saved; line; line = next_line(line)) {
        char be[STATE_WORD_MAX], srv[STATE_WORD_MAX];
        if (*line != '#' && word(line, 1, be, sizeof(be)) && word(line, 3, srv, sizeof(srv)))
            mark(known, be, srv);
    }
}

/* Drop from initial the servers present does not have. */
static void prune(json_t *initial, json_t *present)
{
    const char *be, *srv;
    json_t *g, *v;
    void *tmp, *tmp2;
    json_object_foreach_safe(initial, tmp, be, g) {
        json_object_foreach_safe(g, tmp2, srv, v) {
            if (!marked(present, be, srv))
                json_object_del(g, srv);
        }
        if (json_object_size(g) == 0)
            json_object_del(initial, be);
    }
}

int elb_state_file(const char *cfg, const char *saved, json_t *initial, struct buf *ret)
{
    _cleanup_json_ json_t *known = json_object(), *present = json_object();
    if (!known || !present)
        return -1;
    copy_saved(saved, known, ret);
    char be[STATE_WORD_MAX] = "";
    for (const char *line = cfg; line; line = next_line(line)) {
        char name[STATE_WORD_MAX], addr[STATE_WORD_MAX];
        if (*line != ' ' && *line != '\n') {
            /* A section: servers are in backends only. */
            if (strncmp(line, "backend ", 8) != 0 || !word(line, 1, be, sizeof(be)))
                be[0] = '\0';
            continue;
        }
        if (!be[0] || strncmp(line, "    server ", 11) != 0 || !word(line, 1, name, sizeof(name)) ||
            !word(line, 2, addr, sizeof(addr)) || !has_option(line, "check"))
            continue;
        if (mark(present, be, name) < 0)
            return -1;
        char *colon = strrchr(addr, ':');
        if (marked(known, be, name) || !colon)
            continue;
        *colon = '\0';
        /* be_id, srv_id 0: matched on names.  Stopped, check status INI
         * (1), health 0, weights 1 as configured; srv_use_ssl as the
         * server line says (0 would turn a server's TLS off). */
        buf_printf(ret, "0 %s 0 %s %s 0 0 1 1 0 1 0 0 0 0 0 0 - %s - %d 0 - - 0\n", be, name, addr, colon + 1,
                   has_option(line, "ssl") ? 1 : 0);
        if (mark(initial, be, name) < 0)
            return -1;
    }
    prune(initial, present);
    return ret->failed ? -1 : 0;
}
