/* task_endpoint.c - the endpoint at 169.254.170.2 (see task_endpoint.h),
 * as ECS's agent serves it:
 *
 *   GET /v2/credentials/<id>        the task role's credentials
 *   GET /v4/<id>  /v4/<id>/task     container and task metadata (v3: /v3/)
 *   GET /v4/<id>/stats  /v4/<id>/task/stats
 *   GET, PUT /api/<id>/task-protection/v1/state   (ECS_AGENT_URI is /api/<id>)
 *
 * The ids are random UUIDs (task_endpoint_assign), given to the containers
 * in their environment only.  A request is answered only for the task that
 * owns the id: on bridge and awsvpc networks its source address must be
 * that task's (a container cannot read another task's credentials even
 * with its URI); host-network tasks share the host's addresses, so for
 * them the unguessable id is the whole check, as on ECS.  A wrong or
 * foreign id is 404 ("not found" says nothing of which).
 *
 * Reaching it: the agent listens on 169.254.170.2 at a port of the
 * kernel's choosing (so agents sharing a host do not collide), the address
 * on `lo`; network.c's nftables table sends 169.254.170.2:80 from the
 * bridge and from the host's own processes there, keeping the source
 * address, and lets that port through the guard that keeps bridge tasks
 * off the host.  One thread per connection (MHD), a bounded number of
 * them: a credentials request waits on the server. */
#include "agent/task/task_endpoint.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "common/log.h"
#include "agent/net/netlink.h"
#include "agent/net/netpool.h"
#include "agent/net/nftrules.h"
#include "agent/task/task_metadata.h"
#include "agent/task/task_protection_ep.h"
#include "agent/task/task_role_creds.h"

#define ENDPOINT_CONNECTIONS 64
#define ENDPOINT_TIMEOUT_SEC 30
#define ENDPOINT_STACK (256u * 1024)
#define ENDPOINT_PATH_MAX 256

struct task_endpoint {
    struct MHD_Daemon *daemon;
    struct runner_env *env;
    int port;
};

/* One request's body, kept for a PUT (others' are dropped). */
struct request {
    size_t len;
    bool too_big;
    char body[TASK_PROTECTION_EP_BODY_MAX];
};

static void request_done(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    free(*req_cls);
    *req_cls = NULL;
}

/* ---- ids ---------------------------------------------------------------- */

int task_endpoint_assign(struct task_runner *t, struct error *err)
{
    json_t *ov = json_object_get(json_object_get(t->task, "overrides"), "taskRoleArn");
    bool role = json_is_string(ov) || json_is_string(runner_taskdef(t, "taskRoleArn"));
    if (role && ids_uuid(t->creds_id) < 0)
        return error_set(err, ERR_SYSTEM, "no random bytes for the credentials id");
    for (size_t i = 0; i < t->nctrs; i++)
        if (ids_uuid(t->ctrs[i].meta_id) < 0)
            return error_set(err, ERR_SYSTEM, "no random bytes for the metadata id");
    return 0;
}

json_t *task_endpoint_ids_json(const struct task_runner *t)
{
    json_t *ctrs = json_array();
    for (size_t i = 0; i < t->nctrs; i++)
        json_array_append_new(ctrs, json_string(t->ctrs[i].meta_id));
    return json_pack("{s:s, s:o}", "credentials", t->creds_id, "containers", ctrs);
}

static void copy_id(char dst[37], json_t *v)
{
    const char *s = json_string_value(v);
    if (s && strlen(s) == 36)
        snprintf(dst, 37, "%s", s);
}

void task_endpoint_ids_load(struct task_runner *t, json_t *ids)
{
    t->creds_id[0] = '\0';
    copy_id(t->creds_id, json_object_get(ids, "credentials"));
    json_t *ctrs = json_object_get(ids, "containers");
    for (size_t i = 0; i < t->nctrs; i++)
        copy_id(t->ctrs[i].meta_id, json_array_get(ctrs, i));
}

void task_endpoint_note_network(struct task_runner *t)
{
    const char *mode = json_string_value(runner_taskdef(t, "networkMode"));
    pthread_mutex_lock(&t->lock);
    snprintf(t->net_mode, sizeof(t->net_mode), "%s", mode ? mode : "bridge");
    for (size_t i = 0; i < t->nctrs; i++) {
        const char *a = network_address(t->net, i);
        const char *v = network_host_veth(t->net, i);
        snprintf(t->ctrs[i].addr, sizeof(t->ctrs[i].addr), "%s", a && strlen(a) < 16 ? a : "");
        snprintf(t->ctrs[i].veth, sizeof(t->ctrs[i].veth), "%s", v && strlen(v) < 16 ? v : "");
    }
    pthread_mutex_unlock(&t->lock);
}

size_t task_endpoint_env(const struct task_runner *t, const struct runner_ctr *c, char (*bufs)[160], size_t n)
{
    size_t k = 0;
    if (!c->meta_id[0] || n < TASK_ENDPOINT_ENV_MAX)
        return 0;
    snprintf(bufs[k++], 160, "ECS_CONTAINER_METADATA_URI_V4=http://%s/v4/%s", NFT_ENDPOINT_ADDR, c->meta_id);
    snprintf(bufs[k++], 160, "ECS_CONTAINER_METADATA_URI=http://%s/v3/%s", NFT_ENDPOINT_ADDR, c->meta_id);
    snprintf(bufs[k++], 160, "ECS_AGENT_URI=http://%s/api/%s", NFT_ENDPOINT_ADDR, c->meta_id);
    if (t->creds_id[0])
        snprintf(bufs[k++], 160, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/%s", t->creds_id);
    return k;
}

/* ---- requests ----------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return MHD_NO;
    size_t len = strlen(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_COPY);
    explicit_bzero(text, len); /* it may be credentials */
    free(text);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *code, const char *msg)
{
    return reply(conn, status, json_pack("{s:s, s:s}", "code", code, "message", msg));
}

/* The requester's IPv4 address ("" if none). */
static void source_of(struct MHD_Connection *conn, char *buf, size_t cap)
{
    buf[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf, (socklen_t)cap);
}

/* Whether a request from `src` may read task t's data (under t->lock). */
static bool source_allowed(const struct task_runner *t, const char *src)
{
    if (strcmp(t->net_mode, "bridge") != 0 && strcmp(t->net_mode, "awsvpc") != 0)
        return true; /* host network: the id alone, as on ECS */
    for (size_t i = 0; i < t->nctrs; i++)
        if (t->ctrs[i].addr[0] && strcmp(t->ctrs[i].addr, src) == 0)
            return true;
    return false;
}

/* The live task owning id (a credentials id, or a container's metadata id
 * with *ret_ctr set), if src may read it; pinned (not freed when its
 * task ends) until unpin(). */
static struct task_runner *find_owner(struct runner_env *env, const char *id, bool creds, const char *src,
                                      struct runner_ctr **ret_ctr)
{
    struct task_runner *found = NULL;
    pthread_mutex_lock(&env->lock);
    for (struct task_runner *t = env->runners; t && !found; t = t->next) {
        pthread_mutex_lock(&t->lock);
        bool live = !t->finished && t->net_mode[0];
        if (live && creds && t->creds_id[0] && strcmp(t->creds_id, id) == 0 && source_allowed(t, src))
            found = t;
        for (size_t i = 0; live && !creds && !found && i < t->nctrs; i++)
            if (t->ctrs[i].meta_id[0] && strcmp(t->ctrs[i].meta_id, id) == 0 && source_allowed(t, src)) {
                found = t;
                *ret_ctr = &t->ctrs[i];
            }
        pthread_mutex_unlock(&t->lock);
    }
    if (found)
        found->pins++;
    pthread_mutex_unlock(&env->lock);
    return found;
}

static void unpin(struct runner_env *env, struct task_runner *t)
{
    pthread_mutex_lock(&env->lock);
    t->pins--;
    pthread_mutex_unlock(&env->lock);
}

static enum MHD_Result serve_credentials(struct task_endpoint *ep, struct MHD_Connection *conn, const char *id,
                                         const char *src)
{
    struct runner_ctr *unused = NULL;
    struct task_runner *t = find_owner(ep->env, id, true, src, &unused);
    if (!t)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No credentials for this id.");
    json_t *body = NULL;
    struct error err;
    int r = task_role_creds_get(t, &body, &err);
    if (r < 0)
        log_warn("task %s: task role credentials: %s", t->id, err.msg);
    unpin(ep->env, t);
    if (r < 0)
        return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "InternalServerError",
                           "Unable to get the task role's credentials.");
    return reply(conn, MHD_HTTP_OK, body);
}

static enum MHD_Result serve_metadata(struct task_endpoint *ep, struct MHD_Connection *conn, const char *rest, bool v4,
                                      const char *src)
{
    char id[37];
    size_t idlen = strcspn(rest, "/");
    if (idlen != 36)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No metadata for this id.");
    snprintf(id, sizeof(id), "%.36s", rest);
    const char *what = rest + idlen;
    struct runner_ctr *c = NULL;
    struct task_runner *t = find_owner(ep->env, id, false, src, &c);
    if (!t)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No metadata for this id.");
    json_t *body = NULL;
    bool known = true;
    if (what[0] == '\0' || strcmp(what, "/") == 0)
        body = task_metadata_container(t, c, v4);
    else if (strcmp(what, "/task") == 0)
        body = task_metadata_task(t, v4);
    else if (strcmp(what, "/stats") == 0)
        body = task_metadata_stats(t, c);
    else if (strcmp(what, "/task/stats") == 0)
        body = task_metadata_task_stats(t);
    else
        known = false;
    unpin(ep->env, t);
    if (!known)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No such metadata path.");
    return reply(conn, MHD_HTTP_OK, body);
}

/* $ECS_AGENT_URI/task-protection/v1/state: rest is what follows "/api/". */
static enum MHD_Result serve_protection(struct task_endpoint *ep, struct MHD_Connection *conn, const char *rest,
                                        const char *method, const struct request *req, const char *src)
{
    static const char path[] = "/task-protection/v1/state";
    size_t idlen = strcspn(rest, "/");
    if (idlen != 36 || strcmp(rest + idlen, path) != 0)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No such path.");
    bool put = strcmp(method, "PUT") == 0;
    if (!put && strcmp(method, "GET") != 0)
        return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "MethodNotAllowed", "Only GET and PUT are served here.");
    char id[37];
    snprintf(id, sizeof(id), "%.36s", rest);
    struct runner_ctr *c = NULL;
    struct task_runner *t = find_owner(ep->env, id, false, src, &c);
    if (!t) /* ECS's agent's words for an unknown endpoint id */
        return reply(conn, MHD_HTTP_NOT_FOUND,
                     json_pack("{s:{s:s, s:s}}", "error", "Code", "ResourceNotFoundException", "Message",
                               "Invalid request: no task was found"));
    if (put && req->too_big) {
        unpin(ep->env, t);
        return reply(conn, MHD_HTTP_BAD_REQUEST,
                     json_pack("{s:{s:s, s:s}}", "error", "Code", "InvalidParameterException", "Message",
                               "UpdateTaskProtection: failed to decode request"));
    }
    unsigned status = 500;
    json_t *body = task_protection_ep_serve(t, put, req->body, req->len, &status);
    unpin(ep->env, t);
    return reply(conn, status, body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **req_cls)
{
    (void)version;
    struct task_endpoint *ep = cls;
    struct request *req = *req_cls;
    if (!req) { /* the headers: wait for the body */
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_size) { /* kept up to its limit (a PUT's); beyond, dropped */
        if (req->len + *upload_size <= sizeof(req->body))
            memcpy(req->body + req->len, upload_data, *upload_size);
        else
            req->too_big = true;
        req->len = req->too_big ? req->len : req->len + *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strlen(url) > ENDPOINT_PATH_MAX)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No such path.");
    char src[INET_ADDRSTRLEN];
    source_of(conn, src, sizeof(src));
    if (strncmp(url, "/api/", 5) == 0)
        return serve_protection(ep, conn, url + 5, method, req, src);
    if (strcmp(method, "GET") != 0)
        return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "MethodNotAllowed", "Only GET is served here.");
    static const char creds[] = "/v2/credentials/";
    if (strncmp(url, creds, sizeof(creds) - 1) == 0)
        return serve_credentials(ep, conn, url + sizeof(creds) - 1, src);
    if (strncmp(url, "/v4/", 4) == 0 || strncmp(url, "/v3/", 4) == 0)
        return serve_metadata(ep, conn, url + 4, url[2] == '4', src);
    return reply_error(conn, MHD_HTTP_NOT_FOUND, "NotFound", "No such path.");
}

/* ---- life --------------------------------------------------------------- */

static int listen_socket(int *ret_fd, int *ret_port, struct error *err)
{
    uint32_t addr;
    if (netpool_parse_addr(NFT_ENDPOINT_ADDR, &addr) < 0)
        return error_set(err, ERR_INTERNAL, "bad endpoint address");
    if (netlink_addr_add("lo", addr, 32, err) < 0)
        return error_prefix(err, "task endpoint");
    _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return error_sys(err, "task endpoint: socket");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(addr)};
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return error_sys(err, "task endpoint: listening on %s", NFT_ENDPOINT_ADDR);
    *ret_port = ntohs(sa.sin_port);
    *ret_fd = TAKE_FD(fd);
    return 0;
}

int task_endpoint_start(struct runner_env *env, struct error *err)
{
    int fd = -1, port = 0;
    if (listen_socket(&fd, &port, err) < 0)
        return -1;
    struct task_endpoint *ep = calloc(1, sizeof(*ep));
    if (!ep) {
        close(fd);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    ep->env = env;
    ep->port = port;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC;
    ep->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, ep, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)ENDPOINT_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)ENDPOINT_TIMEOUT_SEC, MHD_OPTION_THREAD_STACK_SIZE, (size_t)ENDPOINT_STACK,
                         MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_END);
    if (!ep->daemon) {
        close(fd);
        free(ep);
        return error_set(err, ERR_SYSTEM, "task endpoint: cannot start its HTTP server");
    }
    env->endpoint = ep;
    if (network_endpoint_enable(env->net, port, err) < 0)
        return error_prefix(err, "task endpoint");
    log_info("agent: task endpoint %s:80 (listening on port %d)", NFT_ENDPOINT_ADDR, port);
    return 0;
}

void task_endpoint_stop(struct runner_env *env)
{
    struct task_endpoint *ep = env ? env->endpoint : NULL;
    if (!ep)
        return;
    MHD_stop_daemon(ep->daemon);
    free(ep);
    env->endpoint = NULL;
}
