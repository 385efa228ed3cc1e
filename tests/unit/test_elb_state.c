/* Unit tests: the server-state file a load balancer's HAProxy loads
 * (elb_state.c): servers the running worker reported keep its lines,
 * checked servers it does not know start down (TLS kept on for an HTTPS
 * target), servers without checks get no line, and the initial set
 * follows the configuration. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/elbv2/elb_state.h"
#include "test.h"

static const char CFG[] = "global\n    stats socket abns@sock level admin\n\n"
                          "frontend l_1\n    mode http\n    bind 127.100.1.2:8000\n    default_backend tg_a\n\n"
                          "backend tg_a\n    mode http\n    balance roundrobin\n"
                          "    server 10.0.0.1:80 10.0.0.1:80 check inter 5s fall 2 rise 3\n"
                          "    server 10.0.0.2:80 10.0.0.2:80 check inter 5s fall 2 rise 3\n\n"
                          "backend tg_b\n    mode http\n"
                          "    server i-1:443 127.0.0.1:443 check inter 5s fall 2 rise 2 check-ssl ssl verify none\n"
                          "    server 10.0.0.9:81 10.0.0.9:81 ssl verify none\n\n";

/* What "show servers state" answers: 10.0.0.1 up, and a server the new
 * configuration no longer has. */
static const char SAVED[] = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state\n"
                            "3 tg_a 1 10.0.0.1:80 10.0.0.1 2 0 1 1 23 15 3 4 6 0 0 0 - 80 - 0 0 - - 0\n"
                            "3 tg_a 3 10.0.0.3:80 10.0.0.3 2 0 1 1 23 15 3 4 6 0 0 0 - 80 - 0 0 - - 0\n\n";

TEST(elb_state_new_servers_start_down)
{
    _cleanup_json_ json_t *initial = json_pack("{s:{s:b, s:b}}", "tg_a", "10.0.0.3:80", 1, "10.0.0.2:80", 1);
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(elb_state_file(CFG, SAVED, initial, &b) == 0);
    const char *s = b.data ? b.data : "";
    CHECK(strncmp(s, SAVED, strlen(SAVED)) == 0); /* known servers keep their state */
    CHECK(!strstr(s, "0 tg_a 0 10.0.0.1:80"));
    CHECK(strstr(s, "\n0 tg_a 0 10.0.0.2:80 10.0.0.2 0 0 1 1 0 1 0 0 0 0 0 0 - 80 - 0 0 - - 0\n"));
    CHECK(strstr(s, "\n0 tg_b 0 i-1:443 127.0.0.1 0 0 1 1 0 1 0 0 0 0 0 0 - 443 - 1 0 - - 0\n"));
    CHECK(!strstr(s, "10.0.0.9:81")); /* no checks: serves at once */
    /* Still initial, newly initial; gone from the configuration: dropped. */
    CHECK(json_object_get(json_object_get(initial, "tg_a"), "10.0.0.2:80"));
    CHECK(!json_object_get(json_object_get(initial, "tg_a"), "10.0.0.3:80"));
    CHECK(json_object_get(json_object_get(initial, "tg_b"), "i-1:443"));
    CHECK(!json_object_get(json_object_get(initial, "tg_a"), "10.0.0.1:80"));
    CHECK(json_object_size(initial) == 2);
    buf_free(&b);
}

TEST(elb_state_without_report)
{
    /* A first start (nothing saved) or an answer that is no state file:
     * every checked server starts down, under HAProxy's version line. */
    const char *saved[] = {NULL, "", "Unknown command\n"};
    for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
        _cleanup_json_ json_t *initial = json_object();
        struct buf b;
        buf_init(&b, 1 << 20);
        CHECK(elb_state_file(CFG, saved[i], initial, &b) == 0);
        const char *s = b.data ? b.data : "";
        CHECK(strncmp(s, "1\n# be_id be_name srv_id srv_name ", strlen("1\n# be_id be_name srv_id srv_name ")) == 0);
        CHECK(strstr(s, "\n0 tg_a 0 10.0.0.1:80 10.0.0.1 0 "));
        CHECK(strstr(s, "\n0 tg_a 0 10.0.0.2:80 10.0.0.2 0 "));
        CHECK(!strstr(s, "Unknown"));
        CHECK(json_object_size(json_object_get(initial, "tg_a")) == 2);
        buf_free(&b);
    }
}

TEST(elb_state_limit)
{
    _cleanup_json_ json_t *initial = json_object();
    struct buf b;
    buf_init(&b, 64);
    CHECK(elb_state_file(CFG, SAVED, initial, &b) < 0);
    buf_free(&b);
}
