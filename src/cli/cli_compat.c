/* cli_compat.c - `berth compat`: prints the README's Compatibility tables
 * (what berth does with every ECS operation and every task-definition,
 * task and service member) from the code: the ECS action table and the
 * notes in server/ecs/ecs_compat_notes.c.  `make compat` splices the output
 * into README.md; a test checks that the two agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "server/ecs/ecs_compat.h"
#include "server/ecs/ecs_service.h"
#include "server/http/api.h"

static inline void ecs_freep(struct ecs_service **e) { ecs_service_free(*e); }

int cli_compat_main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
                "usage: berth compat\n\nPrints, as Markdown, what berth does with each ECS operation and each "
                "task-definition, task and service member: works, partial (what) or refused (why).\n");
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    struct error err = {0};
    _cleanup_(ecs_freep) struct ecs_service *ecs = NULL;
    if (ecs_service_new(0, &ecs, &err) < 0) {
        fprintf(stderr, "berth compat: %s\n", err.msg);
        return 1;
    }
    struct api_service api = ecs_service_api(ecs);
    if (ecs_compat_verify(api.model, api.actions, api.nactions, &err) < 0) {
        fprintf(stderr, "berth compat: the notes disagree with the code: %s\n", err.msg);
        return 1;
    }
    _cleanup_free_ char *md = ecs_compat_markdown(api.model, api.actions, api.nactions);
    if (!md) {
        fprintf(stderr, "berth compat: out of memory\n");
        return 1;
    }
    fputs(md, stdout);
    return 0;
}
