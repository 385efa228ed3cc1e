/* Unit tests: image references, WWW-Authenticate, layer paths and
 * whiteouts, image config parsing and merging with container definitions. */
#include <jansson.h>
#include <stdio.h>

#include "agent/image/digest.h"
#include "agent/image/image.h"
#include "agent/image/imgconfig.h"
#include "agent/image/imgref.h"
#include "agent/image/layerpath.h"
#include "agent/image/registry.h"
#include "agent/image/registry_auth.h"
#include "test.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *norm(const char *in)
{
    static char buf[1024];
    struct imgref r;
    struct error err;
    if (imgref_parse(in, &r, &err) < 0)
        return "ERROR";
    imgref_string(&r, buf, sizeof(buf));
    return buf;
}

TEST(imgref_docker_hub_defaults)
{
    CHECK_STR(norm("busybox"), "docker.io/library/busybox:latest");
    CHECK_STR(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
    CHECK_STR(norm("library/busybox"), "docker.io/library/busybox:latest");
    CHECK_STR(norm("docker.io/busybox"), "docker.io/library/busybox:latest");
    CHECK_STR(norm("index.docker.io/busybox"), "docker.io/library/busybox:latest");
    CHECK_STR(norm("amazon/aws-cli:2.0"), "docker.io/amazon/aws-cli:2.0");
    CHECK_STR(norm("a/b/c"), "docker.io/a/b/c:latest");
    /* A port-looking suffix without a slash is a tag, as in Docker. */
    CHECK_STR(norm("foo:5000"), "docker.io/library/foo:5000");
    struct imgref r;
    struct error err;
    CHECK(imgref_parse("busybox", &r, &err) == 0);
    CHECK_STR(imgref_api_host(&r), "registry-1.docker.io");
    CHECK_STR(r.path, "library/busybox");
    CHECK_STR(imgref_reference(&r), "latest");
}

TEST(imgref_registries)
{
    CHECK_STR(norm("localhost/foo"), "localhost/foo:latest");
    CHECK_STR(norm("localhost:5000/foo/bar:v1"), "localhost:5000/foo/bar:v1");
    CHECK_STR(norm("127.0.0.1:5000/busybox:1"), "127.0.0.1:5000/busybox:1");
    CHECK_STR(norm("public.ecr.aws/nginx/nginx:latest"), "public.ecr.aws/nginx/nginx:latest");
    CHECK_STR(norm("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:abc"),
              "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:abc");
    CHECK_STR(norm("[::1]:5000/foo"), "[::1]:5000/foo:latest");
    /* Upper case in the first component makes it a registry, as in Docker. */
    CHECK_STR(norm("Registry/foo"), "Registry/foo:latest");
    struct imgref r;
    struct error err;
    CHECK(imgref_parse("localhost:5000/foo", &r, &err) == 0);
    CHECK_STR(imgref_api_host(&r), "localhost:5000");
    CHECK_STR(r.domain, "localhost:5000");
}

TEST(imgref_digests)
{
    CHECK_STR(norm("busybox@sha256:" HEX64), "docker.io/library/busybox@sha256:" HEX64);
    CHECK_STR(norm("busybox:1@sha256:" HEX64), "docker.io/library/busybox:1@sha256:" HEX64);
    CHECK_STR(norm("localhost:5000/x@sha256:" HEX64), "localhost:5000/x@sha256:" HEX64);
    struct imgref r;
    struct error err;
    CHECK(imgref_parse("busybox:1@sha256:" HEX64, &r, &err) == 0);
    CHECK_STR(imgref_reference(&r), "sha256:" HEX64);
    CHECK_STR(r.tag, "1");
    CHECK(imgref_parse("busybox@sha256:abc", &r, &err) < 0);
    CHECK(imgref_parse("busybox@sha512:" HEX64, &r, &err) < 0);
    CHECK(imgref_parse("busybox@" HEX64, &r, &err) < 0);
    CHECK(imgref_parse("busybox@sha256:"
                       "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                       &r, &err) < 0);
}

TEST(imgref_invalid)
{
    struct imgref r;
    struct error err;
    CHECK(imgref_parse("", &r, &err) < 0);
    CHECK(imgref_parse("BusyBox", &r, &err) < 0);
    CHECK(strstr(err.msg, "lowercase") != NULL);
    CHECK(imgref_parse("busybox:", &r, &err) < 0);
    CHECK(imgref_parse("busybox:-x", &r, &err) < 0);
    CHECK(imgref_parse(":tag", &r, &err) < 0);
    CHECK(imgref_parse("foo//bar", &r, &err) < 0);
    CHECK(imgref_parse("foo/", &r, &err) < 0);
    CHECK(imgref_parse("foo/-bar", &r, &err) < 0);
    CHECK(imgref_parse("foo/bar-", &r, &err) < 0);
    CHECK(imgref_parse("foo..bar", &r, &err) < 0);
    CHECK(imgref_parse("localhost:port/foo", &r, &err) < 0);
    CHECK(imgref_parse("-host.com/foo", &r, &err) < 0);
    CHECK(imgref_parse(HEX64, &r, &err) < 0);
    CHECK(imgref_parse("foo bar", &r, &err) < 0);
    char longtag[200];
    memset(longtag, 'a', sizeof(longtag));
    memcpy(longtag, "x:", 2);
    longtag[sizeof(longtag) - 1] = '\0';
    CHECK(imgref_parse(longtag, &r, &err) < 0);
    /* Separators Docker allows. */
    CHECK_STR(norm("a__b/c.d/e-f/g---h"), "docker.io/a__b/c.d/e-f/g---h:latest");
    CHECK(imgref_parse("a___b/c", &r, &err) < 0);
}

TEST(digest_helpers)
{
    char d[DIGEST_STR_LEN + 1];
    struct error err;
    CHECK(digest_buffer("", 0, d, &err) == 0);
    CHECK_STR(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(digest_valid(d));
    CHECK(!digest_valid("sha256:e3b0"));
    CHECK(!digest_valid("sha256:../../etc/passwd0000000000000000000000000000000000000000000000000"));
    CHECK(!digest_valid(NULL));
}

TEST(www_authenticate_bearer)
{
    struct registry_challenge c;
    struct error err;
    CHECK(registry_auth_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                              "scope=\"repository:library/busybox:pull\"",
                              &c, &err) == 0);
    CHECK_STR(c.scheme, "bearer");
    CHECK_STR(c.realm, "https://auth.docker.io/token");
    CHECK_STR(c.service, "registry.docker.io");
    CHECK_STR(c.scope, "repository:library/busybox:pull");
    /* Commas inside quotes, spaces after commas, unquoted values, escapes. */
    CHECK(registry_auth_parse("bearer realm=\"https://r/t\", scope=\"repository:a:pull,push\", "
                              "error=insufficient_scope, service=\"a\\\"b\"",
                              &c, &err) == 0);
    CHECK_STR(c.scope, "repository:a:pull,push");
    CHECK_STR(c.error, "insufficient_scope");
    CHECK_STR(c.service, "a\"b");
}

TEST(www_authenticate_basic_and_malformed)
{
    struct registry_challenge c;
    struct error err;
    CHECK(registry_auth_parse("Basic realm=\"berth-test\"", &c, &err) == 0);
    CHECK_STR(c.scheme, "basic");
    CHECK_STR(c.realm, "berth-test");
    CHECK(registry_auth_parse("", &c, &err) < 0);
    CHECK(registry_auth_parse("Bearer service=\"x\"", &c, &err) < 0); /* no realm */
    CHECK(registry_auth_parse("Bearer realm=\"unterminated", &c, &err) < 0);
    CHECK(registry_auth_parse("Bearer realm", &c, &err) < 0);
    CHECK(registry_auth_parse("Bearer realm=a b=c", &c, &err) < 0);
}

TEST(registry_insecure_hosts)
{
    const char *list[] = {"myreg.local:5000", "plain.example"};
    struct registry_opts o = {.insecure = list, .n_insecure = 2};
    CHECK(registry_host_insecure("localhost:5000", NULL));
    CHECK(registry_host_insecure("127.0.0.1:5000", NULL));
    CHECK(registry_host_insecure("[::1]:5000", NULL));
    CHECK(!registry_host_insecure("registry-1.docker.io", NULL));
    CHECK(registry_host_insecure("myreg.local:5000", &o));
    CHECK(!registry_host_insecure("myreg.local:5001", &o));
    CHECK(registry_host_insecure("plain.example:443", &o));
}

static const char *clean(const char *in)
{
    static char buf[256];
    struct error err;
    if (layerpath_clean(in, buf, sizeof(buf), &err) < 0)
        return "ERROR";
    return buf;
}

TEST(layerpath_cleaning)
{
    CHECK_STR(clean("./etc/passwd"), "etc/passwd");
    CHECK_STR(clean("etc//passwd"), "etc/passwd");
    CHECK_STR(clean("etc/./x/"), "etc/x");
    CHECK_STR(clean("./"), "");
    CHECK_STR(clean("..foo/bar.."), "..foo/bar..");
    CHECK_STR(clean("../escape"), "ERROR");
    CHECK_STR(clean("a/../../b"), "ERROR");
    CHECK_STR(clean("a/.."), "ERROR");
    CHECK_STR(clean("/etc/passwd"), "ERROR");
}

static const char *wh(const char *in, enum whiteout_kind *kind)
{
    static char buf[256];
    struct error err;
    if (layerpath_whiteout(in, kind, buf, sizeof(buf), &err) < 0)
        return "ERROR";
    return buf;
}

TEST(layerpath_whiteouts)
{
    enum whiteout_kind k;
    CHECK_STR(wh("etc/.wh.hostname", &k), "etc/hostname");
    CHECK(k == WHITEOUT_FILE);
    CHECK_STR(wh(".wh.top", &k), "top");
    CHECK(k == WHITEOUT_FILE);
    CHECK_STR(wh("a/b/.wh..wh..opq", &k), "a/b");
    CHECK(k == WHITEOUT_OPAQUE);
    CHECK_STR(wh(".wh..wh..opq", &k), "");
    CHECK(k == WHITEOUT_OPAQUE);
    wh("etc/hosts", &k);
    CHECK(k == WHITEOUT_NONE);
    wh("etc/x.wh.y", &k);
    CHECK(k == WHITEOUT_NONE);
    CHECK_STR(wh("etc/.wh.", &k), "ERROR");
    CHECK_STR(wh("etc/.wh..wh.plnk", &k), "ERROR");
    CHECK_STR(wh("etc/.wh...", &k), "ERROR");
}

TEST(platform_parse)
{
    struct image_platform p;
    struct error err;
    CHECK(image_platform_parse("linux/arm64", &p, &err) == 0);
    CHECK_STR(p.os, "linux");
    CHECK_STR(p.arch, "arm64");
    CHECK_STR(p.variant, "");
    CHECK(image_platform_parse("linux/arm/v7", &p, &err) == 0);
    CHECK_STR(p.variant, "v7");
    CHECK(image_platform_parse("linux", &p, &err) < 0);
    CHECK(image_platform_parse("linux/", &p, &err) < 0);
    CHECK(image_platform_parse("/amd64", &p, &err) < 0);
    CHECK(image_platform_parse("linux/arm/v7/x", &p, &err) < 0);
}

static const char image_json[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                                 "\"Entrypoint\":[\"/entry\"],\"Cmd\":[\"serve\",\"--port\",\"80\"],"
                                 "\"Env\":[\"PATH=/bin\",\"A=1\",\"B=2\"],\"WorkingDir\":\"/srv\",\"User\":\"app\","
                                 "\"StopSignal\":\"SIGQUIT\",\"ExposedPorts\":{\"80/tcp\":{}},"
                                 "\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":30000000000,\"Retries\":2},"
                                 "\"Labels\":{\"k\":\"v\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

static struct imgconfig *merged(const char *container_json)
{
    struct imgconfig *img = NULL, *out = NULL;
    struct error err;
    json_t *c = json_loads(container_json, 0, NULL);
    if (imgconfig_parse(image_json, sizeof(image_json) - 1, &img, &err) == 0)
        imgconfig_merge(img, c, &out, &err);
    imgconfig_free(img);
    json_decref(c);
    return out;
}

static const char *joined(const struct strv *v)
{
    static char buf[1024];
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->n; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "|" : "", v->v[i]);
    return buf;
}

TEST(imgconfig_parse_fields)
{
    struct imgconfig *c = NULL;
    struct error err;
    CHECK(imgconfig_parse(image_json, sizeof(image_json) - 1, &c, &err) == 0);
    if (!c)
        return;
    CHECK_STR(joined(&c->entrypoint), "/entry");
    CHECK_STR(joined(&c->cmd), "serve|--port|80");
    CHECK_STR(joined(&c->env), "PATH=/bin|A=1|B=2");
    CHECK_STR(c->working_dir, "/srv");
    CHECK_STR(c->user, "app");
    CHECK_STR(c->stop_signal, "SIGQUIT");
    CHECK_STR(joined(&c->exposed_ports), "80/tcp");
    CHECK(c->has_healthcheck);
    CHECK(c->healthcheck.interval == 30 * USEC_PER_SEC);
    CHECK(c->healthcheck.retries == 2);
    CHECK_STR(json_string_value(json_object_get(c->labels, "k")), "v");
    CHECK_STR(c->architecture, "amd64");
    imgconfig_free(c);
    const char *bad = "{\"config\":{\"Cmd\":\"not a list\"}}";
    CHECK(imgconfig_parse(bad, strlen(bad), &c, &err) < 0);
    CHECK(strstr(err.msg, "Cmd") != NULL);
    CHECK(imgconfig_parse("[]", 2, &c, &err) < 0);
    /* A config with no "config" at all is an image with nothing set. */
    CHECK(imgconfig_parse("{\"os\":\"linux\"}", 14, &c, &err) == 0);
    if (c)
        CHECK(c->cmd.n == 0 && c->working_dir == NULL);
    imgconfig_free(c);
}

TEST(imgconfig_merge_docker_rules)
{
    struct imgconfig *c = merged("{}");
    struct strv argv = {0};
    struct error err;
    CHECK(c && imgconfig_argv(c, &argv, &err) == 0);
    CHECK_STR(joined(&argv), "/entry|serve|--port|80");
    strv_free(&argv);
    imgconfig_free(c);

    /* command replaces CMD, keeps ENTRYPOINT. */
    c = merged("{\"command\":[\"run\"]}");
    CHECK(c && imgconfig_argv(c, &argv, &err) == 0);
    CHECK_STR(joined(&argv), "/entry|run");
    strv_free(&argv);
    imgconfig_free(c);

    /* entryPoint replaces ENTRYPOINT and drops the image's CMD. */
    c = merged("{\"entryPoint\":[\"/bin/sh\",\"-c\"]}");
    CHECK(c && imgconfig_argv(c, &argv, &err) == 0);
    CHECK_STR(joined(&argv), "/bin/sh|-c");
    strv_free(&argv);
    imgconfig_free(c);

    /* ... unless command is given too. */
    c = merged("{\"entryPoint\":[\"/bin/sh\",\"-c\"],\"command\":[\"echo hi\"]}");
    CHECK(c && imgconfig_argv(c, &argv, &err) == 0);
    CHECK_STR(joined(&argv), "/bin/sh|-c|echo hi");
    strv_free(&argv);
    imgconfig_free(c);

    /* An empty entryPoint clears ENTRYPOINT and CMD: nothing to run. */
    c = merged("{\"entryPoint\":[]}");
    CHECK(c && imgconfig_argv(c, &argv, &err) < 0);
    imgconfig_free(c);
}

TEST(imgconfig_merge_env_and_overrides)
{
    struct imgconfig *c =
        merged("{\"environment\":[{\"name\":\"B\",\"value\":\"20\"},{\"name\":\"C\",\"value\":\"3\"}],"
               "\"workingDirectory\":\"/work\",\"user\":\"1000:1000\"}");
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_STR(joined(&c->env), "PATH=/bin|A=1|B=20|C=3");
    CHECK_STR(c->working_dir, "/work");
    CHECK_STR(c->user, "1000:1000");
    CHECK_STR(c->stop_signal, "SIGQUIT");
    CHECK_STR(joined(&c->healthcheck.test), "CMD|true");
    imgconfig_free(c);

    /* No PATH anywhere: Docker's default is added. */
    struct imgconfig *img = NULL, *out = NULL;
    struct error err;
    const char *bare = "{\"config\":{\"Cmd\":[\"x\"]}}";
    CHECK(imgconfig_parse(bare, strlen(bare), &img, &err) == 0);
    json_t *none = json_object();
    CHECK(img && imgconfig_merge(img, none, &out, &err) == 0);
    if (out)
        CHECK_STR(joined(&out->env), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    imgconfig_free(out);
    /* Bad environment entries are refused. */
    json_t *bad = json_loads("{\"environment\":[{\"value\":\"x\"}]}", 0, NULL);
    out = NULL;
    CHECK(imgconfig_merge(img, bad, &out, &err) < 0);
    CHECK(out == NULL);
    json_decref(bad);
    json_decref(none);
    imgconfig_free(img);
}

TEST(imgconfig_merge_healthcheck_and_labels)
{
    struct imgconfig *c = merged("{\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"curl -f localhost\"],"
                                 "\"interval\":10},\"dockerLabels\":{\"k\":\"task\",\"new\":\"1\"}}");
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK_STR(joined(&c->healthcheck.test), "CMD-SHELL|curl -f localhost");
    CHECK(c->healthcheck.interval == 10 * USEC_PER_SEC);
    CHECK(c->healthcheck.timeout == 5 * USEC_PER_SEC);
    CHECK(c->healthcheck.retries == 3);
    CHECK_STR(json_string_value(json_object_get(c->labels, "k")), "task");
    CHECK_STR(json_string_value(json_object_get(c->labels, "new")), "1");
    imgconfig_free(c);
}
