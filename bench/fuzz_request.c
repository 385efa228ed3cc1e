/* fuzz_request.c - libFuzzer target for the API request path.
 *
 * Input: "<Action>\n<body>".  Each input goes through the same api_handle()
 * the HTTP front calls, twice: as an IAM user without policies (the
 * authorisation step describes the request - ARNs, tags, keys - and
 * refuses it) and as the account's root (JSON parsing, model validation,
 * the handler and the store).  Any crash, sanitizer report or leak is a
 * bug.  `make fuzz-smoke`
 * runs it briefly; `make fuzz` runs it until stopped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "server/http/api.h"
#include "server/server.h"

static struct server srv;
static char data_dir[] = "/tmp/berth-fuzz-XXXXXX";

/* At exit: the server, then its data dir (make test leaves no temp dirs). */
static void cleanup(void)
{
    server_free(&srv);
    struct error err;
    fs_rmtree(data_dir, &err);
}

static int init_once(void)
{
    static int done;
    if (done)
        return 0;
    done = 1;
    log_set_level(LOG_ERROR);
    if (!mkdtemp(data_dir))
        return -1;
    struct server_config cfg;
    server_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", data_dir);
    struct error err;
    if (server_init(&srv, &cfg, &err) < 0) {
        fprintf(stderr, "fuzz: %s\n", err.msg);
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (init_once() < 0)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t alen = nl ? (size_t)(nl - data) : size;
    if (alen > 100)
        return 0;
    char target[160];
    snprintf(target, sizeof(target), "AmazonEC2ContainerServiceV20141113.%.*s", (int)alen, (const char *)data);
    /* Copy the body so ASan catches reads past its end. */
    size_t blen = nl ? size - alen - 1 : 0;
    char *body = malloc(blen ? blen : 1);
    if (!body)
        return 0;
    if (blen)
        memcpy(body, nl + 1, blen);
    static const char *const callers[] = {"arn:aws:iam::000000000000:user/fuzz", "arn:aws:iam::000000000000:root"};
    for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
        struct api_request req = {.target = target, .body = body, .body_len = blen, .internal_caller = callers[i]};
        struct api_response resp;
        api_handle(srv.dispatch, &req, &resp);
        if (resp.status != 200 && resp.status != 400) {
            fprintf(stderr, "fuzz: unexpected status %d: %s\n", resp.status, resp.body ? resp.body : "");
            abort();
        }
        free(resp.body);
    }
    free(body);
    return 0;
}
