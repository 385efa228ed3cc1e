/* Unit tests: SSM's naming rules (parameter names, ARNs, labels,
 * selectors) and the sealed text values are stored as. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/iam/secret_text.h"
#include "server/ssm/ssm.h"
#include "test.h"

static int name_ok(const char *name)
{
    struct error err;
    return ssm_name_check(name, &err) == 0;
}

TEST(ssm_names_rules)
{
    CHECK(name_ok("plain"));
    CHECK(name_ok("/app/db/password"));
    CHECK(name_ok("/a-b_c.d/e"));
    CHECK(!name_ok(""));
    CHECK(!name_ok("aws-thing"));
    CHECK(!name_ok("/SSM/x"));
    CHECK(!name_ok("a/b"));
    CHECK(!name_ok("/a//b"));
    CHECK(!name_ok("/a/"));
    CHECK(!name_ok("/has space"));
    CHECK(!name_ok("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p"));
    CHECK(name_ok("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o"));
}

TEST(ssm_names_arn)
{
    char arn[256];
    ssm_arn("eu-west-1", "123456789012", "/app/x", arn, sizeof(arn));
    CHECK_STR(arn, "arn:aws:ssm:eu-west-1:123456789012:parameter/app/x");
    ssm_arn("eu-west-1", "123456789012", "plain", arn, sizeof(arn));
    CHECK_STR(arn, "arn:aws:ssm:eu-west-1:123456789012:parameter/plain");
}

TEST(ssm_names_labels)
{
    CHECK(ssm_label_valid("stable"));
    CHECK(ssm_label_valid("release-1.2_x"));
    CHECK(!ssm_label_valid("1st"));
    CHECK(!ssm_label_valid("awsy"));
    CHECK(!ssm_label_valid("Ssm"));
    CHECK(!ssm_label_valid("a/b"));
    CHECK(!ssm_label_valid(""));
}

TEST(ssm_names_selectors)
{
    struct ssm_selector sel;
    struct error err;
    CHECK(ssm_selector_parse("/app/x", &sel, &err) == 0);
    CHECK_STR(sel.name, "/app/x");
    CHECK(sel.version == 0 && !sel.label[0] && !sel.selector && !sel.alt[0]);
    CHECK(ssm_selector_parse("/app/x:12", &sel, &err) == 0);
    CHECK_STR(sel.name, "/app/x");
    CHECK(sel.version == 12);
    CHECK_STR(sel.selector, ":12");
    CHECK(ssm_selector_parse("/app/x:prod", &sel, &err) == 0);
    CHECK_STR(sel.label, "prod");
    CHECK(ssm_selector_parse("arn:aws:ssm:us-east-1:000000000000:parameter/app/x:3", &sel, &err) == 0);
    CHECK_STR(sel.name, "/app/x");
    CHECK(sel.version == 3 && !sel.alt[0]);
    CHECK(ssm_selector_parse("arn:aws:ssm:us-east-1:000000000000:parameter/plain", &sel, &err) == 0);
    CHECK_STR(sel.name, "plain");
    CHECK_STR(sel.alt, "/plain");
    CHECK(ssm_selector_parse("/app/x:0", &sel, &err) < 0);
    CHECK(ssm_selector_parse("/app/x:9bad", &sel, &err) < 0);
    CHECK(ssm_selector_parse("arn:aws:ssm:us-east-1:000000000000:document/x", &sel, &err) < 0);
}

TEST(ssm_secret_text_round_trip)
{
    char dir[] = "/tmp/berth-unit-box-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct secret_box *box = NULL;
    struct error err;
    CHECK(secret_box_open(dir, &box, &err) == 0);
    char *text = NULL;
    CHECK(secret_text_seal(box, "hunter2", 7, &text, &err) == 0);
    CHECK(strstr(text, "hunter2") == NULL);
    struct buf plain;
    buf_init(&plain, 1024);
    CHECK(secret_text_open(box, text, &plain, &err) == 0);
    CHECK(plain.len == 7 && memcmp(plain.data, "hunter2", 7) == 0);
    text[5] = text[5] == 'A' ? 'B' : 'A';
    buf_reset(&plain);
    CHECK(secret_text_open(box, text, &plain, &err) < 0);
    CHECK(secret_text_open(box, "not base64!", &plain, &err) < 0);
    buf_free(&plain);
    free(text);
    secret_box_free(box);
    char key[64];
    snprintf(key, sizeof(key), "%s/master.key", dir);
    unlink(key);
    rmdir(dir);
}
