/* logship_sender.c - see logship_sender.h. */
#include "agent/logs/logship_sender.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/awsjson.h"
#include "common/proto.h"
#include "agent/agent_memory.h"

struct logship_sender {
    struct awsjson_client *client;
    int wake_fd;
    logship_save_fn save;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool busy; /* the log thread's own: submitted, result not taken */
    /* under lock */
    bool has_job, done, quit;
    struct logship_sender_job job;
    struct logship_sender_result result;
};

static void run_job(struct logship_sender *s, const struct logship_sender_job *job, struct logship_sender_result *r)
{
    *r = (struct logship_sender_result){0};
    if (job->save && s->save(s->ctx, &job->progress, &r->err) < 0) {
        r->rc = -1;
        r->not_sent = true;
        return;
    }
    r->rc =
        awsjson_call_body(s->client, PROTO_AGENT_TARGET, PROTO_PUT_LOG_EVENTS, job->body, job->len, &r->out, &r->err);
}

static void *sender_main(void *arg)
{
    struct logship_sender *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->has_job && !s->quit) {
            pthread_mutex_unlock(&s->lock);
            agent_stack_trim(); /* curl and TLS went deep; the thread now sleeps */
            pthread_mutex_lock(&s->lock);
            if (!s->has_job && !s->quit)
                pthread_cond_wait(&s->cond, &s->lock);
        }
        if (!s->has_job)
            break;
        struct logship_sender_job job = s->job;
        pthread_mutex_unlock(&s->lock);
        struct logship_sender_result r;
        run_job(s, &job, &r);
        pthread_mutex_lock(&s->lock);
        s->result = r;
        s->has_job = false;
        s->done = true;
        uint64_t one = 1;
        ssize_t w = write(s->wake_fd, &one, sizeof(one));
        (void)w;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int logship_sender_new(struct awsjson_client *client, int wake_fd, logship_save_fn save, void *ctx,
                       struct logship_sender **ret, struct error *err)
{
    struct logship_sender *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->client = client;
    s->wake_fd = wake_fd;
    s->save = save;
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return error_set(err, ERR_INTERNAL, "cannot start the log sender thread");
    }
    *ret = s;
    return 0;
}

void logship_sender_free(struct logship_sender *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->quit = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    if (s->done)
        json_decref(s->result.out);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void logship_sender_submit(struct logship_sender *s, const struct logship_sender_job *job)
{
    pthread_mutex_lock(&s->lock);
    s->job = *job;
    s->has_job = true;
    s->busy = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

bool logship_sender_busy(const struct logship_sender *s) { return s->busy; }

bool logship_sender_take(struct logship_sender *s, struct logship_sender_result *ret)
{
    if (!s->busy)
        return false;
    pthread_mutex_lock(&s->lock);
    bool done = s->done;
    if (done) {
        *ret = s->result;
        s->result.out = NULL;
        s->done = false;
        s->busy = false;
    }
    pthread_mutex_unlock(&s->lock);
    return done;
}
