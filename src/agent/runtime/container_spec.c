/* container_spec.c - building a ctr_spec from a container definition. */
#include "agent/runtime/container_spec.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"

static const char *keep(struct container_spec *c, const char *s)
{
    if (!s)
        return NULL;
    if (array_reserve(&c->strings, &c->cap_strings, c->nstrings + 1, sizeof(*c->strings)) < 0)
        return NULL;
    char *d = strdup(s);
    if (d)
        c->strings[c->nstrings++] = d;
    return d;
}

/* Reserve n consecutive pointer slots (arrays of strings for the spec). */
static const char **ptr_array(struct container_spec *c, size_t n)
{
    const char **a = calloc(n ? n : 1, sizeof(*a));
    if (!a)
        return NULL;
    if (array_reserve(&c->ptrs, &c->cap_ptrs, c->nptrs + 1, sizeof(*c->ptrs)) < 0) {
        free(a);
        return NULL;
    }
    c->ptrs[c->nptrs++] = (const char *)a; /* freed in container_spec_free */
    return a;
}

static const char **strings_of(struct container_spec *c, const json_t *arr, size_t *ret_n)
{
    size_t n = json_array_size(arr);
    const char **a = ptr_array(c, n);
    if (!a)
        return NULL;
    for (size_t i = 0; i < n; i++)
        a[i] = keep(c, json_string_value(json_array_get(arr, i)));
    *ret_n = n;
    return a;
}

static const char *volume_path(const struct container_spec_input *in, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < in->n_volumes; i++)
        if (in->volumes[i].name && strcmp(in->volumes[i].name, name) == 0)
            return in->volumes[i].host_path;
    return NULL;
}

static const json_t *find_container(const json_t *all, const char *name)
{
    size_t i;
    const json_t *c;
    if (!name)
        return NULL;
    json_array_foreach(all, i, c) {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && strcmp(n, name) == 0)
            return c;
    }
    return NULL;
}

/* mountPoints of this container plus those it takes with volumesFrom. */
static int add_binds(const struct container_spec_input *in, struct container_spec *c, struct error *err)
{
    json_t *own = json_object_get(in->container, "mountPoints");
    size_t n = json_array_size(own);
    size_t i;
    json_t *vf;
    json_array_foreach(json_object_get(in->container, "volumesFrom"), i, vf) {
        const json_t *src =
            find_container(in->all_containers, json_string_value(json_object_get(vf, "sourceContainer")));
        n += json_array_size(json_object_get(src, "mountPoints"));
    }
    c->binds = calloc(n ? n : 1, sizeof(*c->binds));
    if (!c->binds)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t k = 0;
    json_t *mp;
    json_array_foreach(own, i, mp) {
        const char *vol = json_string_value(json_object_get(mp, "sourceVolume"));
        const char *host = vol ? volume_path(in, vol) : NULL;
        if (!host)
            return error_set(err, ERR_INVALID, "mount point names unknown volume '%s'", vol ? vol : "(none)");
        c->binds[k].source = host;
        c->binds[k].destination = keep(c, json_string_value(json_object_get(mp, "containerPath")));
        c->binds[k].readonly = json_is_true(json_object_get(mp, "readOnly"));
        k++;
    }
    json_array_foreach(json_object_get(in->container, "volumesFrom"), i, vf) {
        const json_t *src =
            find_container(in->all_containers, json_string_value(json_object_get(vf, "sourceContainer")));
        bool ro = json_is_true(json_object_get(vf, "readOnly"));
        size_t j;
        json_t *smp;
        json_array_foreach(json_object_get(src, "mountPoints"), j, smp) {
            const char *host = volume_path(in, json_string_value(json_object_get(smp, "sourceVolume")));
            if (!host)
                continue;
            c->binds[k].source = host;
            c->binds[k].destination = keep(c, json_string_value(json_object_get(smp, "containerPath")));
            c->binds[k].readonly = ro || json_is_true(json_object_get(smp, "readOnly"));
            k++;
        }
    }
    c->spec.binds = c->binds;
    c->spec.n_binds = k;
    return 0;
}

static int add_linux_parameters(const struct container_spec_input *in, struct container_spec *c, struct error *err)
{
    json_t *lp = json_object_get(in->container, "linuxParameters");
    if (!lp)
        return 0;
    json_t *caps = json_object_get(lp, "capabilities");
    c->spec.cap_add = strings_of(c, json_object_get(caps, "add"), &c->spec.n_cap_add);
    c->spec.cap_drop = strings_of(c, json_object_get(caps, "drop"), &c->spec.n_cap_drop);
    if (json_is_true(json_object_get(lp, "initProcessEnabled"))) {
        if (!in->init_path)
            return error_set(err, ERR_INVALID, "initProcessEnabled needs catatonit or tini on the host");
        c->spec.init_path = in->init_path;
    }
    c->spec.shm_size_mib = json_integer_value(json_object_get(lp, "sharedMemorySize"));
    json_t *tmpfs = json_object_get(lp, "tmpfs");
    size_t n = json_array_size(tmpfs);
    c->tmpfs = calloc(n ? n : 1, sizeof(*c->tmpfs));
    if (!c->tmpfs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *t;
    json_array_foreach(tmpfs, i, t) {
        c->tmpfs[i].destination = keep(c, json_string_value(json_object_get(t, "containerPath")));
        c->tmpfs[i].size_mib = json_integer_value(json_object_get(t, "size"));
        c->tmpfs[i].options = strings_of(c, json_object_get(t, "mountOptions"), &c->tmpfs[i].n_options);
    }
    c->spec.tmpfs = c->tmpfs;
    c->spec.n_tmpfs = n;
    json_t *devices = json_object_get(lp, "devices");
    n = json_array_size(devices);
    c->devices = calloc(n ? n : 1, sizeof(*c->devices));
    if (!c->devices)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_t *d;
    json_array_foreach(devices, i, d) {
        c->devices[i].host_path = keep(c, json_string_value(json_object_get(d, "hostPath")));
        c->devices[i].container_path = keep(c, json_string_value(json_object_get(d, "containerPath")));
        json_t *perms = json_object_get(d, "permissions");
        char p[4] = "";
        size_t j;
        json_t *v;
        json_array_foreach(perms, j, v) {
            const char *s = json_string_value(v);
            if (s && strcmp(s, "read") == 0 && !strchr(p, 'r'))
                p[strlen(p)] = 'r';
            else if (s && strcmp(s, "write") == 0 && !strchr(p, 'w'))
                p[strlen(p)] = 'w';
            else if (s && strcmp(s, "mknod") == 0 && !strchr(p, 'm'))
                p[strlen(p)] = 'm';
        }
        c->devices[i].permissions = p[0] ? keep(c, p) : NULL;
    }
    c->spec.devices = c->devices;
    c->spec.n_devices = n;
    return 0;
}

int container_spec_build(const struct container_spec_input *in, struct container_spec *ret, struct error *err)
{
    struct container_spec c;
    memset(&c, 0, sizeof(c));
    const json_t *def = in->container;
    const struct imgconfig *m = in->merged;
    if (imgconfig_argv(m, &c.argv, err) < 0)
        return -1;
    c.spec.args = (const char *const *)c.argv.v;
    c.spec.n_args = c.argv.n;
    size_t nenv = m->env.n + in->n_extra_env;
    const char **env = ptr_array(&c, nenv);
    if (!env) {
        container_spec_free(&c);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < m->env.n; i++)
        env[i] = m->env.v[i];
    for (size_t i = 0; i < in->n_extra_env; i++)
        env[m->env.n + i] = in->extra_env[i];
    c.spec.env = env;
    c.spec.n_env = nenv;
    c.spec.cwd = m->working_dir;
    c.spec.user = m->user;
    /* ECS refuses hostname for awsvpc; host mode keeps the host's; the
     * others get the caller's default (Docker's short container id). */
    const char *mode = in->network_mode ? in->network_mode : "bridge";
    const char *hostname = NULL;
    if (strcmp(mode, "awsvpc") != 0 && strcmp(mode, "host") != 0)
        hostname = json_string_value(json_object_get(def, "hostname"));
    if ((!hostname || !*hostname) && strcmp(mode, "host") != 0)
        hostname = in->default_hostname;
    c.spec.hostname = keep(&c, hostname);
    c.spec.readonly_rootfs = json_is_true(json_object_get(def, "readonlyRootFilesystem"));
    c.spec.privileged = json_is_true(json_object_get(def, "privileged"));
    c.spec.memory_mib = json_integer_value(json_object_get(def, "memory"));
    c.spec.memory_reservation_mib = json_integer_value(json_object_get(def, "memoryReservation"));
    c.spec.cpu_units = json_integer_value(json_object_get(def, "cpu"));
    c.spec.netns = strcmp(mode, "host") == 0 ? "host" : in->netns;

    json_t *ulimits = json_object_get(def, "ulimits");
    size_t nu = json_array_size(ulimits);
    c.ulimits = calloc(nu ? nu : 1, sizeof(*c.ulimits));
    json_t *labels = json_object_get(def, "dockerLabels");
    size_t nl = json_object_size(labels);
    c.labels = calloc(nl ? nl : 1, sizeof(*c.labels));
    if (!c.ulimits || !c.labels) {
        container_spec_free(&c);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    size_t i;
    json_t *u;
    json_array_foreach(ulimits, i, u) {
        c.ulimits[i].name = keep(&c, json_string_value(json_object_get(u, "name")));
        c.ulimits[i].soft = json_integer_value(json_object_get(u, "softLimit"));
        c.ulimits[i].hard = json_integer_value(json_object_get(u, "hardLimit"));
    }
    c.spec.ulimits = c.ulimits;
    c.spec.n_ulimits = nu;
    const char *key;
    json_t *v;
    i = 0;
    json_object_foreach(labels, key, v) {
        c.labels[i].key = keep(&c, key);
        c.labels[i].value = keep(&c, json_string_value(v));
        i++;
    }
    c.spec.labels = c.labels;
    c.spec.n_labels = nl;
    if (add_binds(in, &c, err) < 0 || add_linux_parameters(in, &c, err) < 0) {
        container_spec_free(&c);
        return -1;
    }
    *ret = c;
    return 0;
}

void container_spec_free(struct container_spec *c)
{
    if (!c)
        return;
    strv_free(&c->argv);
    for (size_t i = 0; i < c->nstrings; i++)
        free(c->strings[i]);
    free(c->strings);
    for (size_t i = 0; i < c->nptrs; i++)
        free((void *)c->ptrs[i]);
    free(c->ptrs);
    free(c->binds);
    free(c->tmpfs);
    free(c->devices);
    free(c->ulimits);
    free(c->labels);
    memset(c, 0, sizeof(*c));
}

json_t *container_spec_apply_override(const json_t *container, const json_t *override)
{
    json_t *c = json_deep_copy(container);
    if (!c || !override)
        return c;
    static const char *const replaced[] = {"command", "cpu", "memory", "memoryReservation"};
    for (size_t i = 0; i < ELEMENTSOF(replaced); i++) {
        json_t *v = json_object_get(override, replaced[i]);
        if (v)
            json_object_set(c, replaced[i], v);
    }
    json_t *env = json_object_get(c, "environment");
    if (!env) {
        env = json_array();
        json_object_set_new(c, "environment", env);
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(override, "environment"), i, o) {
        const char *name = json_string_value(json_object_get(o, "name"));
        bool replaced_one = false;
        size_t k;
        json_t *e;
        json_array_foreach(env, k, e) {
            const char *n = json_string_value(json_object_get(e, "name"));
            if (name && n && strcmp(n, name) == 0) {
                json_object_set(e, "value", json_object_get(o, "value"));
                replaced_one = true;
            }
        }
        if (!replaced_one)
            json_array_append(env, o);
    }
    return c;
}

static bool env_has(json_t *env, const char *name, size_t len)
{
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strlen(n) == len && strncmp(n, name, len) == 0)
            return true;
    }
    return false;
}

int container_spec_load_env_files(json_t *def, struct error *err)
{
    json_t *files = json_object_get(def, "environmentFiles");
    if (json_array_size(files) == 0)
        return 0;
    json_t *env = json_object_get(def, "environment");
    if (!env) {
        env = json_array();
        json_object_set_new(def, "environment", env);
    }
    /* Names set explicitly win over every file. */
    json_t *explicit_env = json_deep_copy(env);
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *path = json_string_value(json_object_get(f, "value"));
        if (!path || path[0] != '/') {
            json_decref(explicit_env);
            return error_set(err, ERR_INVALID, "environmentFiles: berth reads files by absolute host path, not '%s'",
                             path ? path : "(none)");
        }
        _cleanup_free_ char *text = NULL;
        if (fs_read_file(path, 1024 * 1024, &text, NULL, err) < 0) {
            json_decref(explicit_env);
            return error_prefix(err, "environmentFiles");
        }
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            size_t n = strlen(line);
            if (n && line[n - 1] == '\r')
                line[--n] = '\0';
            char *eq = strchr(line, '=');
            if (line[0] == '#' || !eq || eq == line)
                continue;
            if (env_has(explicit_env, line, (size_t)(eq - line)) || env_has(env, line, (size_t)(eq - line)))
                continue; /* explicit, or an earlier file's: first one wins */
            json_array_append_new(env, json_pack("{s:s%, s:s}", "name", line, (size_t)(eq - line), "value", eq + 1));
        }
    }
    json_decref(explicit_env);
    return 0;
}
