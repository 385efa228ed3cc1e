/* Unit tests: host protection - the agent's host policy (what a task may
 * ask of its host), Docker's seccomp profile as data, and the confinement
 * config.json gives unprivileged and privileged containers. */
#include <jansson.h>

#include "agent/runtime/bundle.h"
#include "agent/runtime/seccomp_default.h"
#include "agent/task/host_policy.h"
#include "common/cleanup.h"
#include "test.h"

static json_t *taskdef(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fprintf(stderr, "  bad test JSON: %s\n", jerr.text);
    return j;
}

/* The refusal message for the task definition under policy p, or NULL when allowed. */
static const char *refusal(const struct host_policy *p, const char *text, struct error *err)
{
    _cleanup_json_ json_t *td = taskdef(text);
    if (!td)
        return "bad JSON";
    return host_policy_check(p, td, err) == 0 ? NULL : err->msg;
}

TEST(host_policy_refuses_host_escapes_by_default)
{
    struct host_policy none = {0};
    struct error err;
    const char *why = refusal(&none, "{\"containerDefinitions\": [{\"name\": \"web\", \"privileged\": true}]}", &err);
    CHECK(why && strstr(why, "container web: privileged containers are disabled") && strstr(why, "--allow-privileged"));
    why = refusal(&none,
                  "{\"containerDefinitions\": [{\"name\": \"a\", \"linuxParameters\": "
                  "{\"capabilities\": {\"add\": [\"SYS_ADMIN\"]}}}]}",
                  &err);
    CHECK(why && strstr(why, "capability SYS_ADMIN") && strstr(why, "--allow-privileged"));
    why = refusal(&none,
                  "{\"containerDefinitions\": [{\"name\": \"a\", \"linuxParameters\": "
                  "{\"capabilities\": {\"add\": [\"ALL\"]}}}]}",
                  &err);
    CHECK(why && strstr(why, "capability ALL"));
    why = refusal(&none,
                  "{\"containerDefinitions\": [{\"name\": \"a\", \"linuxParameters\": "
                  "{\"devices\": [{\"hostPath\": \"/dev/sda\"}]}}]}",
                  &err);
    CHECK(why && strstr(why, "host devices (/dev/sda)"));
    static const char *const modes[] = {"networkMode", "pidMode", "ipcMode"};
    for (size_t i = 0; i < 3; i++) {
        char text[200];
        snprintf(text, sizeof(text), "{\"%s\": \"host\", \"containerDefinitions\": [{\"name\": \"a\"}]}", modes[i]);
        why = refusal(&none, text, &err);
        CHECK(why && strstr(why, modes[i]) && strstr(why, "--allow-privileged"));
    }
    why = refusal(&none, "{\"volumes\": [{\"name\": \"root\", \"host\": {\"sourcePath\": \"/\"}}]}", &err);
    CHECK(why && strstr(why, "volume root: host path / is outside") && strstr(why, "--allow-host-path"));
    why = refusal(&none,
                  "{\"containerDefinitions\": [{\"name\": \"a\", \"environmentFiles\": "
                  "[{\"value\": \"/etc/shadow\", \"type\": \"s3\"}]}]}",
                  &err);
    CHECK(why && strstr(why, "environmentFiles reads host file /etc/shadow") && strstr(why, "--allow-host-path"));
}

TEST(host_policy_allows_docker_defaults_and_task_volumes)
{
    struct host_policy none = {0};
    struct error err;
    /* Adding back a default capability, dropping any, task-managed volumes, pidMode task. */
    CHECK(refusal(&none,
                  "{\"pidMode\": \"task\", \"networkMode\": \"bridge\", \"volumes\": [{\"name\": \"scratch\"}, "
                  "{\"name\": \"d\", \"dockerVolumeConfiguration\": {\"scope\": \"shared\"}}], "
                  "\"containerDefinitions\": [{\"name\": \"a\", \"privileged\": false, \"linuxParameters\": "
                  "{\"capabilities\": {\"drop\": [\"ALL\"], \"add\": [\"CHOWN\", \"CAP_NET_BIND_SERVICE\"]}}}]}",
                  &err) == NULL);
}

TEST(host_policy_switches_allow)
{
    const char *paths[] = {"/srv/data/", "/var/lib/app"};
    struct host_policy p = {.allow_privileged = true, .host_paths = paths, .n_host_paths = 2};
    struct error err;
    CHECK(refusal(&p,
                  "{\"networkMode\": \"host\", \"pidMode\": \"host\", \"volumes\": [{\"name\": \"v\", \"host\": "
                  "{\"sourcePath\": \"/srv/data/x\"}}], \"containerDefinitions\": [{\"name\": \"a\", \"privileged\": "
                  "true, \"linuxParameters\": {\"capabilities\": {\"add\": [\"SYS_ADMIN\"]}, \"devices\": "
                  "[{\"hostPath\": \"/dev/null\"}]}}]}",
                  &err) == NULL);
    /* The privileged switch does not open host paths. */
    CHECK(refusal(&p, "{\"volumes\": [{\"name\": \"v\", \"host\": {\"sourcePath\": \"/etc\"}}]}", &err) != NULL);
}

TEST(host_policy_path_prefixes_are_whole_components)
{
    const char *paths[] = {"/srv", "/"};
    struct host_policy srv = {.host_paths = paths, .n_host_paths = 1};
    struct host_policy all = {.host_paths = paths + 1, .n_host_paths = 1};
    CHECK(host_policy_path_allowed(&srv, "/srv"));
    CHECK(host_policy_path_allowed(&srv, "/srv/a/b"));
    CHECK(!host_policy_path_allowed(&srv, "/srvx"));
    CHECK(!host_policy_path_allowed(&srv, "/srv/../etc"));
    CHECK(!host_policy_path_allowed(&srv, "/srv/a/.."));
    CHECK(host_policy_path_allowed(&srv, "/srv/a..b"));
    CHECK(!host_policy_path_allowed(&srv, "srv/a"));
    CHECK(!host_policy_path_allowed(&srv, NULL));
    CHECK(host_policy_path_allowed(&all, "/etc/shadow"));
    struct host_policy none = {0};
    CHECK(!host_policy_path_allowed(&none, "/srv"));
}

static bool rule_names(const json_t *profile, const char *name, const char *action, bool with_args)
{
    size_t i, k;
    json_t *r, *n;
    json_array_foreach(json_object_get(profile, "syscalls"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "action")), action) != 0)
            continue;
        if ((json_object_get(r, "args") != NULL) != with_args)
            continue;
        json_array_foreach(json_object_get(r, "names"), k, n) {
            if (strcmp(json_string_value(n), name) == 0)
                return true;
        }
    }
    return false;
}

TEST(seccomp_profile_is_dockers)
{
    const char *defaults[] = {"CHOWN", "KILL", "SYS_CHROOT"};
    _cleanup_json_ json_t *p = seccomp_default_profile(defaults, 3, false);
    CHECK_STR(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
    json_t *arch = json_object_get(p, "architectures");
    CHECK(json_array_size(arch) == 3);
    CHECK_STR(json_string_value(json_array_get(arch, 0)), "SCMP_ARCH_X86_64");
    CHECK(rule_names(p, "read", "SCMP_ACT_ALLOW", false));
    CHECK(rule_names(p, "chroot", "SCMP_ACT_ALLOW", false));
    static const char *const blocked[] = {
        "mount",          "unshare",     "keyctl", "bpf",    "add_key",           "kexec_load",
        "setns",          "init_module", "reboot", "ptrace", "open_by_handle_at", "clone3",
        "perf_event_open"};
    for (size_t i = 0; i < ELEMENTSOF(blocked); i++)
        CHECK(!rule_names(p, blocked[i], "SCMP_ACT_ALLOW", false));
    /* clone only without namespace flags; clone3 answers ENOSYS. */
    CHECK(rule_names(p, "clone", "SCMP_ACT_ALLOW", true) && !rule_names(p, "clone", "SCMP_ACT_ALLOW", false));
    CHECK(rule_names(p, "clone3", "SCMP_ACT_ERRNO", false));
    CHECK(rule_names(p, "socket", "SCMP_ACT_ALLOW", true));

    const char *admin[] = {"SYS_ADMIN", "SYS_PTRACE"};
    _cleanup_json_ json_t *pa = seccomp_default_profile(admin, 2, true);
    CHECK(rule_names(pa, "mount", "SCMP_ACT_ALLOW", false) && rule_names(pa, "unshare", "SCMP_ACT_ALLOW", false));
    CHECK(rule_names(pa, "clone", "SCMP_ACT_ALLOW", false) && !rule_names(pa, "clone", "SCMP_ACT_ALLOW", true));
    CHECK(!rule_names(pa, "clone3", "SCMP_ACT_ERRNO", false));
    CHECK(rule_names(pa, "ptrace", "SCMP_ACT_ALLOW", false));
    CHECK(!rule_names(pa, "keyctl", "SCMP_ACT_ALLOW", false)); /* no capability opens it */

    _cleanup_json_ json_t *pk = seccomp_default_profile(defaults, 3, true);
    CHECK(rule_names(pk, "ptrace", "SCMP_ACT_ALLOW", false)); /* kernel 4.8+: allowed to all */
}

TEST(bundle_confines_unprivileged_and_not_privileged)
{
    const char *args[] = {"sh"};
    struct userdb_user u = {0};
    snprintf(u.home, sizeof(u.home), "/");
    struct error err;
    struct ctr_spec plain = {.args = args, .n_args = 1};
    _cleanup_json_ json_t *cfg = NULL;
    CHECK(bundle_config(&plain, &u, &cfg, &err) == 0);
    json_t *proc = json_object_get(cfg, "process");
    CHECK(json_is_true(json_object_get(proc, "noNewPrivileges")));
    json_t *caps = json_object_get(proc, "capabilities");
    CHECK(json_array_size(json_object_get(caps, "bounding")) == 14);
    CHECK(json_array_size(json_object_get(caps, "effective")) == 14);
    CHECK(json_array_size(json_object_get(caps, "inheritable")) == 0);
    CHECK(json_array_size(json_object_get(caps, "ambient")) == 0);
    json_t *sc = json_object_get(json_object_get(cfg, "linux"), "seccomp");
    CHECK(sc && !rule_names(sc, "mount", "SCMP_ACT_ALLOW", false));

    struct ctr_spec priv = {.args = args, .n_args = 1, .privileged = true};
    _cleanup_json_ json_t *pcfg = NULL;
    CHECK(bundle_config(&priv, &u, &pcfg, &err) == 0);
    CHECK(json_is_false(json_object_get(json_object_get(pcfg, "process"), "noNewPrivileges")));
    CHECK(json_object_get(json_object_get(pcfg, "linux"), "seccomp") == NULL);

    CHECK(bundle_cap_is_default("NET_RAW") && bundle_cap_is_default("cap_chown"));
    CHECK(!bundle_cap_is_default("SYS_ADMIN") && !bundle_cap_is_default("NET_ADMIN"));
}
