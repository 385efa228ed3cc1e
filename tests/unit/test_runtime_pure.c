/* Unit tests: the pure parts of the agent runtime - user resolution from
 * passwd/group text, the ulimit table, cpu units -> shares, the task CPU
 * quota, /etc files and config.json generation. */
#include <jansson.h>

#include "agent/runtime/bundle.h"
#include "agent/runtime/cgroup_usage.h"
#include "agent/runtime/cgroups.h"
#include "agent/runtime/container_spec.h"
#include "agent/runtime/etcfiles.h"
#include "agent/runtime/userdb.h"
#include "common/cleanup.h"
#include "test.h"

static const char passwd[] = "# comment\n"
                             "root:x:0:0:root:/root:/bin/sh\n"
                             "app:x:1000:1001:App:/home/app:/bin/sh\n"
                             "broken line\n"
                             "svc:x:200:200::/srv:/bin/false";
static const char group[] = "root:x:0:\n"
                            "appgrp:x:1001:\n"
                            "wheel:x:10:root,app\n"
                            "docker:x:999:svc,app\n"
                            "svc:x:200:\n";

TEST(userdb_default_is_root)
{
    struct userdb_user u;
    struct error err;
    CHECK(userdb_resolve(NULL, passwd, group, &u, &err) == 0);
    CHECK(u.uid == 0 && u.gid == 0);
    CHECK_STR(u.home, "/root");
    CHECK(u.n_groups == 1 && u.groups[0] == 10);
}

TEST(userdb_by_name_with_supplementary_groups)
{
    struct userdb_user u;
    struct error err;
    CHECK(userdb_resolve("app", passwd, group, &u, &err) == 0);
    CHECK(u.uid == 1000 && u.gid == 1001);
    CHECK_STR(u.home, "/home/app");
    CHECK(u.n_groups == 2 && u.groups[0] == 10 && u.groups[1] == 999);
    /* the last line has no newline */
    CHECK(userdb_resolve("svc", passwd, group, &u, &err) == 0);
    CHECK(u.uid == 200 && u.gid == 200 && u.n_groups == 1 && u.groups[0] == 999);
}

TEST(userdb_uid_and_group_forms)
{
    struct userdb_user u;
    struct error err;
    CHECK(userdb_resolve("1000", passwd, group, &u, &err) == 0);
    CHECK(u.uid == 1000 && u.gid == 1001); /* known uid takes its passwd gid */
    CHECK(userdb_resolve("4242", passwd, group, &u, &err) == 0);
    CHECK(u.uid == 4242 && u.gid == 0 && u.n_groups == 0);
    CHECK_STR(u.home, "/");
    CHECK(userdb_resolve("4242:77", NULL, NULL, &u, &err) == 0);
    CHECK(u.uid == 4242 && u.gid == 77);
    CHECK(userdb_resolve("app:wheel", passwd, group, &u, &err) == 0);
    CHECK(u.uid == 1000 && u.gid == 10);
    CHECK(u.n_groups == 1 && u.groups[0] == 999); /* gid itself not repeated */
    CHECK(userdb_resolve("1000:docker", passwd, group, &u, &err) == 0);
    CHECK(u.uid == 1000 && u.gid == 999);
}

TEST(userdb_errors)
{
    struct userdb_user u;
    struct error err;
    CHECK(userdb_resolve("nobody", passwd, group, &u, &err) == -1);
    CHECK(err.kind == ERR_NOT_FOUND && strstr(err.msg, "nobody"));
    CHECK(userdb_resolve("app:nogroup", passwd, group, &u, &err) == -1);
    CHECK(err.kind == ERR_NOT_FOUND);
    CHECK(userdb_resolve("app:", passwd, group, &u, &err) == -1);
    CHECK(userdb_resolve(":10", passwd, group, &u, &err) == -1);
    CHECK(userdb_resolve("99999999999", passwd, group, &u, &err) == -1); /* overflows: taken as a name */
    CHECK(userdb_resolve("app", NULL, NULL, &u, &err) == -1);
}

TEST(bundle_ulimit_table)
{
    const char *names[] = {"core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
                           "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        const char *t = bundle_rlimit_type(names[i]);
        CHECK(t != NULL);
        char want[64];
        snprintf(want, sizeof(want), "RLIMIT_%s", names[i]);
        for (char *p = want; *p; p++)
            *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
        CHECK_STR(t, want);
    }
    CHECK(bundle_rlimit_type("NOFILE") == NULL);
    CHECK(bundle_rlimit_type("files") == NULL);
}

TEST(bundle_cpu_shares_mapping)
{
    CHECK(bundle_cpu_shares(0) == 2);
    CHECK(bundle_cpu_shares(1) == 2);
    CHECK(bundle_cpu_shares(-5) == 2);
    CHECK(bundle_cpu_shares(2) == 2);
    CHECK(bundle_cpu_shares(512) == 512);
    CHECK(bundle_cpu_shares(1024) == 1024);
    CHECK(bundle_cpu_shares(262144) == 262144);
    CHECK(bundle_cpu_shares(300000) == 262144);
    CHECK(cgroups_cpu_quota_us(1024) == 100000);
    CHECK(cgroups_cpu_quota_us(256) == 25000);
    CHECK(cgroups_cpu_quota_us(1) == 1000);
}

static json_t *find_mount(json_t *cfg, const char *dest)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(cfg, "mounts"), i, m)
        if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
            return m;
    return NULL;
}

static bool array_has(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

static bool has_ns(json_t *cfg, const char *type, const char **ret_path)
{
    size_t i;
    json_t *ns;
    json_array_foreach(json_object_get(json_object_get(cfg, "linux"), "namespaces"), i, ns)
        if (strcmp(json_string_value(json_object_get(ns, "type")), type) == 0) {
            if (ret_path)
                *ret_path = json_string_value(json_object_get(ns, "path"));
            return true;
        }
    return false;
}

TEST(bundle_config_full_spec)
{
    const char *args[] = {"/bin/app", "--flag"};
    const char *env[] = {"A=1", "HOME=/custom"};
    struct ctr_ulimit ul[] = {{"nofile", 1024, 4096}};
    const char *add[] = {"NET_ADMIN"};
    const char *drop[] = {"CAP_MKNOD", "chown"};
    const char *tmpfs_opts[] = {"noexec"};
    struct ctr_tmpfs tmpfs[] = {{"/scratch", 10, tmpfs_opts, 1}};
    /* Labels in the runtimes' own namespaces never reach the bundle. */
    struct ctr_label labels[] = {{"com.example.team", "core"},
                                 {"run.oci.seccomp_bpf_data", "BgAAAAAA/38="},
                                 {"RUN.OCI.seccomp.plugins", "/tmp/x.so"},
                                 {"org.systemd.property.Delegate", "true"},
                                 {"module.wasm.image/variant", "compat"}};
    struct ctr_bind binds[] = {{"/host/data", "/data", true}};
    struct ctr_device devs[] = {{"/dev/null", "/dev/mynull", "rw"}};
    struct ctr_spec s = {
        .args = args,
        .n_args = 2,
        .env = env,
        .n_env = 2,
        .cwd = "/work",
        .hostname = "web-1",
        .ulimits = ul,
        .n_ulimits = 1,
        .readonly_rootfs = true,
        .cap_add = add,
        .n_cap_add = 1,
        .cap_drop = drop,
        .n_cap_drop = 2,
        .init_path = "/usr/bin/catatonit",
        .shm_size_mib = 128,
        .tmpfs = tmpfs,
        .n_tmpfs = 1,
        .devices = devs,
        .n_devices = 1,
        .labels = labels,
        .n_labels = ELEMENTSOF(labels),
        .binds = binds,
        .n_binds = 1,
        .netns = "/run/netns/task1",
        .pidns = NULL,
        .ipcns = "host",
        .hosts_file = "/state/hosts",
        .resolv_file = "/state/resolv.conf",
        .hostname_file = "/state/hostname",
        .memory_mib = 256,
        .memory_reservation_mib = 128,
        .cpu_units = 1,
        .cgroups_path = "/berth/t/c",
    };
    struct userdb_user u = {.uid = 1000, .gid = 1001, .groups = {10}, .n_groups = 1};
    snprintf(u.home, sizeof(u.home), "/home/app");
    struct error err;
    _cleanup_json_ json_t *cfg = NULL;
    CHECK(bundle_config(&s, &u, &cfg, &err) == 0);
    if (!cfg)
        return;
    CHECK_STR(json_string_value(json_object_get(cfg, "ociVersion")), "1.0.2");
    json_t *proc = json_object_get(cfg, "process");
    json_t *pargs = json_object_get(proc, "args");
    CHECK(json_array_size(pargs) == 4);
    CHECK_STR(json_string_value(json_array_get(pargs, 0)), "/sbin/berth-init");
    CHECK_STR(json_string_value(json_array_get(pargs, 1)), "--");
    CHECK_STR(json_string_value(json_array_get(pargs, 2)), "/bin/app");
    CHECK_STR(json_string_value(json_object_get(proc, "cwd")), "/work");
    json_t *penv = json_object_get(proc, "env");
    CHECK(array_has(penv, "A=1") && array_has(penv, "HOME=/custom") && array_has(penv, "HOSTNAME=web-1"));
    CHECK(!array_has(penv, "HOME=/home/app"));
    CHECK(json_integer_value(json_object_get(json_object_get(proc, "user"), "uid")) == 1000);
    CHECK(json_integer_value(json_object_get(json_object_get(proc, "user"), "gid")) == 1001);
    CHECK(json_integer_value(json_array_get(json_object_get(json_object_get(proc, "user"), "additionalGids"), 0)) ==
          10);
    json_t *bounding = json_object_get(json_object_get(proc, "capabilities"), "bounding");
    CHECK(array_has(bounding, "CAP_NET_ADMIN") && array_has(bounding, "CAP_KILL"));
    CHECK(!array_has(bounding, "CAP_MKNOD") && !array_has(bounding, "CAP_CHOWN") &&
          !array_has(bounding, "CAP_SYS_ADMIN"));
    json_t *rl = json_array_get(json_object_get(proc, "rlimits"), 0);
    CHECK_STR(json_string_value(json_object_get(rl, "type")), "RLIMIT_NOFILE");
    CHECK(json_integer_value(json_object_get(rl, "soft")) == 1024 &&
          json_integer_value(json_object_get(rl, "hard")) == 4096);

    CHECK(json_is_true(json_object_get(json_object_get(cfg, "root"), "readonly")));
    CHECK_STR(json_string_value(json_object_get(json_object_get(cfg, "root"), "path")), "rootfs");
    CHECK_STR(json_string_value(json_object_get(cfg, "hostname")), "web-1");
    CHECK_STR(json_string_value(json_object_get(json_object_get(cfg, "annotations"), "com.example.team")), "core");
    CHECK(json_object_size(json_object_get(cfg, "annotations")) == 1);

    json_t *shm = find_mount(cfg, "/dev/shm");
    CHECK(shm && array_has(json_object_get(shm, "options"), "size=131072k"));
    json_t *tm = find_mount(cfg, "/scratch");
    CHECK(tm && array_has(json_object_get(tm, "options"), "size=10m") &&
          array_has(json_object_get(tm, "options"), "noexec"));
    json_t *bm = find_mount(cfg, "/data");
    CHECK(bm && array_has(json_object_get(bm, "options"), "ro"));
    CHECK_STR(json_string_value(json_object_get(find_mount(cfg, "/etc/hosts"), "source")), "/state/hosts");
    CHECK(find_mount(cfg, "/etc/resolv.conf") && find_mount(cfg, "/etc/hostname"));
    CHECK_STR(json_string_value(json_object_get(find_mount(cfg, "/sbin/berth-init"), "source")), "/usr/bin/catatonit");
    CHECK(find_mount(cfg, "/proc") && find_mount(cfg, "/dev/pts") && find_mount(cfg, "/dev/mqueue"));
    CHECK(array_has(json_object_get(find_mount(cfg, "/sys"), "options"), "ro"));
    CHECK(array_has(json_object_get(find_mount(cfg, "/sys/fs/cgroup"), "options"), "ro"));

    json_t *lx = json_object_get(cfg, "linux");
    CHECK_STR(json_string_value(json_object_get(lx, "cgroupsPath")), "/berth/t/c");
    json_t *res = json_object_get(lx, "resources");
    CHECK(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")) == 256LL << 20);
    CHECK(json_integer_value(json_object_get(json_object_get(res, "memory"), "reservation")) == 128LL << 20);
    CHECK(json_integer_value(json_object_get(json_object_get(res, "cpu"), "shares")) == 2);
    json_t *dev = json_array_get(json_object_get(lx, "devices"), 0);
    CHECK_STR(json_string_value(json_object_get(dev, "path")), "/dev/mynull");
    CHECK_STR(json_string_value(json_object_get(dev, "type")), "c");
    CHECK(json_integer_value(json_object_get(dev, "major")) == 1 &&
          json_integer_value(json_object_get(dev, "minor")) == 3);
    const char *netns = NULL;
    CHECK(has_ns(cfg, "network", &netns) && netns && strcmp(netns, "/run/netns/task1") == 0);
    CHECK(has_ns(cfg, "pid", NULL) && has_ns(cfg, "mount", NULL) && has_ns(cfg, "uts", NULL));
    CHECK(!has_ns(cfg, "ipc", NULL)); /* host */
    CHECK(array_has(json_object_get(lx, "maskedPaths"), "/proc/kcore"));
    CHECK(array_has(json_object_get(lx, "readonlyPaths"), "/proc/sys"));
}

TEST(bundle_config_privileged_and_host_network)
{
    const char *args[] = {"sh"};
    struct ctr_spec s = {.args = args, .n_args = 1, .privileged = true, .netns = "host", .hostname = "ignored"};
    struct userdb_user u = {0};
    snprintf(u.home, sizeof(u.home), "/");
    struct error err;
    _cleanup_json_ json_t *cfg = NULL;
    CHECK(bundle_config(&s, &u, &cfg, &err) == 0);
    if (!cfg)
        return;
    json_t *lx = json_object_get(cfg, "linux");
    CHECK(json_object_get(lx, "maskedPaths") == NULL && json_object_get(lx, "readonlyPaths") == NULL);
    json_t *bounding = json_object_get(json_object_get(json_object_get(cfg, "process"), "capabilities"), "bounding");
    CHECK(array_has(bounding, "CAP_SYS_ADMIN") && array_has(bounding, "CAP_CHECKPOINT_RESTORE"));
    json_t *d0 = json_array_get(json_object_get(json_object_get(lx, "resources"), "devices"), 0);
    CHECK(json_is_true(json_object_get(d0, "allow")));
    CHECK(!has_ns(cfg, "network", NULL) && !has_ns(cfg, "uts", NULL));
    CHECK(json_object_get(cfg, "hostname") == NULL);
    CHECK_STR(json_string_value(json_object_get(find_mount(cfg, "/sys"), "type")), "bind");
    CHECK(array_has(json_object_get(json_object_get(cfg, "process"), "env"),
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    CHECK(array_has(json_object_get(json_object_get(cfg, "process"), "env"), "HOME=/"));
}

TEST(bundle_config_rejects_bad_input)
{
    struct userdb_user u = {0};
    struct error err;
    json_t *cfg = NULL;
    struct ctr_spec empty = {0};
    CHECK(bundle_config(&empty, &u, &cfg, &err) == -1 && err.kind == ERR_INVALID);
    const char *args[] = {"sh"};
    struct ctr_ulimit bad_ul[] = {{"files", 1, 1}};
    struct ctr_spec s1 = {.args = args, .n_args = 1, .ulimits = bad_ul, .n_ulimits = 1};
    CHECK(bundle_config(&s1, &u, &cfg, &err) == -1 && strstr(err.msg, "files"));
    const char *bad_cap[] = {"FLY"};
    struct ctr_spec s2 = {.args = args, .n_args = 1, .cap_add = bad_cap, .n_cap_add = 1};
    CHECK(bundle_config(&s2, &u, &cfg, &err) == -1 && strstr(err.msg, "FLY"));
    struct ctr_bind rel[] = {{"relative", "/x", false}};
    struct ctr_spec s3 = {.args = args, .n_args = 1, .binds = rel, .n_binds = 1};
    CHECK(bundle_config(&s3, &u, &cfg, &err) == -1);
    CHECK(cfg == NULL);
}

TEST(bundle_caps_drop_all_then_add)
{
    const char *args[] = {"sh"};
    const char *drop[] = {"ALL"};
    const char *add[] = {"NET_BIND_SERVICE"};
    struct ctr_spec s = {.args = args, .n_args = 1, .cap_drop = drop, .n_cap_drop = 1, .cap_add = add, .n_cap_add = 1};
    struct userdb_user u = {0};
    struct error err;
    _cleanup_json_ json_t *cfg = NULL;
    CHECK(bundle_config(&s, &u, &cfg, &err) == 0);
    json_t *b = json_object_get(json_object_get(json_object_get(cfg, "process"), "capabilities"), "bounding");
    CHECK(json_array_size(b) == 1 && array_has(b, "CAP_NET_BIND_SERVICE"));
}

TEST(etcfiles_text)
{
    const char *dns[] = {"10.0.0.2", "10.0.0.3"};
    const char *search[] = {"svc.local", "example.com"};
    struct etcfiles_host extra[] = {{"db", "10.1.2.3"}};
    struct etcfiles_opts o = {.hostname = "web",
                              .dns_servers = dns,
                              .n_dns_servers = 2,
                              .search_domains = search,
                              .n_search_domains = 2,
                              .extra_hosts = extra,
                              .n_extra_hosts = 1};
    _cleanup_free_ char *hosts = etcfiles_hosts_text(&o);
    CHECK(hosts && strstr(hosts, "127.0.0.1\tlocalhost\n") && strstr(hosts, "\tweb\n") &&
          strstr(hosts, "10.1.2.3\tdb\n"));
    _cleanup_free_ char *resolv = NULL;
    struct error err;
    CHECK(etcfiles_resolv_text(&o, &resolv, &err) == 0);
    CHECK_STR(resolv, "nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch svc.local example.com\n");
}

#include <signal.h>

#include "agent/runtime/runtime.h"

TEST(runtime_signal_names)
{
    CHECK(runtime_parse_signal("SIGTERM") == SIGTERM);
    CHECK(runtime_parse_signal("TERM") == SIGTERM);
    CHECK(runtime_parse_signal("sigusr1") == SIGUSR1);
    CHECK(runtime_parse_signal("9") == SIGKILL);
    CHECK(runtime_parse_signal("SIGQUIT") == SIGQUIT);
    CHECK(runtime_parse_signal("") == -1);
    CHECK(runtime_parse_signal(NULL) == -1);
    CHECK(runtime_parse_signal("SIGNOPE") == -1);
    CHECK(runtime_parse_signal("0") == -1);
    CHECK(runtime_parse_signal("99") == -1);
    CHECK(runtime_parse_signal("15x") == -1);
}

TEST(runtime_container_ids)
{
    CHECK(runtime_id_valid("web"));
    CHECK(runtime_id_valid("0123456789abcdef0123456789abcdef-app_1.v2"));
    CHECK(!runtime_id_valid(""));
    CHECK(!runtime_id_valid(NULL));
    CHECK(!runtime_id_valid(".."));
    CHECK(!runtime_id_valid("-rf"));
    CHECK(!runtime_id_valid("a/b"));
    CHECK(!runtime_id_valid("a b"));
    char long_id[LIMIT_CTR_ID + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    CHECK(!runtime_id_valid(long_id));
    long_id[LIMIT_CTR_ID] = '\0';
    CHECK(runtime_id_valid(long_id));
}

/* Names missing from the task JSON must not reach strcmp. */
TEST(container_spec_override_env_tolerates_nameless_entries)
{
    _cleanup_json_ json_t *def = json_loads("{\"name\":\"app\",\"environment\":[{\"value\":\"x\"},"
                                            "{\"name\":\"A\",\"value\":\"0\"}]}",
                                            0, NULL);
    _cleanup_json_ json_t *ov = json_loads("{\"name\":\"app\",\"environment\":[{\"value\":\"y\"},"
                                           "{\"name\":\"A\",\"value\":\"1\"}]}",
                                           0, NULL);
    _cleanup_json_ json_t *out = container_spec_apply_override(def, ov);
    CHECK(out != NULL);
    json_t *env = json_object_get(out, "environment");
    CHECK_STR(json_string_value(json_object_get(json_array_get(env, 1), "value")), "1");
}

TEST(cgroup_usage_stat_value)
{
    const char *stat = "cache 10\ninactive_file 4096\ntotal_inactive_file 8192\nusage_usec 1500\n";
    CHECK(cgroup_usage_stat_value(stat, "inactive_file") == 4096);
    CHECK(cgroup_usage_stat_value(stat, "total_inactive_file") == 8192);
    CHECK(cgroup_usage_stat_value(stat, "usage_usec") == 1500);
    CHECK(cgroup_usage_stat_value(stat, "usage") == 0);
    CHECK(cgroup_usage_stat_value("", "cache") == 0);
}

TEST(cgroup_usage_io_parse)
{
    uint64_t rd = 1, wr = 1;
    const char *v1 = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 8192\n8:0 Async 4096\n8:0 Total 12288\n"
                     "8:16 Read 100\n8:16 Write 0\n8:16 Total 100\nTotal 12388\n";
    cgroup_usage_io_parse(v1, false, &rd, &wr);
    CHECK(rd == 4196 && wr == 8192);
    const char *v2 = "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
                     "253:1 rbytes=5 wbytes=7 rios=1 wios=1 dbytes=0 dios=0\n";
    cgroup_usage_io_parse(v2, true, &rd, &wr);
    CHECK(rd == 1005 && wr == 2007);
    /* "Total" alone (no devices), an empty file, a line without a number. */
    cgroup_usage_io_parse("Total 0\n", false, &rd, &wr);
    CHECK(rd == 0 && wr == 0);
    cgroup_usage_io_parse("", true, &rd, &wr);
    CHECK(rd == 0 && wr == 0);
    cgroup_usage_io_parse("8:0 Read\n8:0 rbytes=\n", false, &rd, &wr);
    CHECK(rd == 0 && wr == 0);
}
