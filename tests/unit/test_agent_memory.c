/* Unit tests: a task thread gives back the stack it no longer uses. */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/agent_memory.h"
#include "test.h"

#define DEEP_BYTES (128 * 1024)

/* Touch DEEP_BYTES of stack below the caller, as a container start does. */
__attribute__((noinline)) static int deep(int seed)
{
    volatile unsigned char buf[DEEP_BYTES];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(seed + i);
    int sum = 0;
    for (size_t i = 0; i < sizeof(buf); i += 4096)
        sum += buf[i];
    return sum;
}

/* Resident pages of [lo, hi). */
static size_t resident(uintptr_t lo, uintptr_t hi)
{
    long page = sysconf(_SC_PAGESIZE);
    lo &= ~(uintptr_t)(page - 1);
    size_t n = (hi - lo) / (size_t)page;
    unsigned char vec[256];
    if (n > sizeof(vec) || mincore((void *)lo, n * (size_t)page, vec) < 0)
        return SIZE_MAX;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += vec[i] & 1;
    return k;
}

struct trim_result {
    size_t before, after;
    int first, again;
};

static void *trim_thread(void *arg)
{
    struct trim_result *r = arg;
    volatile char here = 0;
    uintptr_t sp = (uintptr_t)&here;
    /* The region deep() used, well below the frames that stay live. */
    uintptr_t lo = sp - DEEP_BYTES, hi = sp - 32 * 1024;
    r->first = deep(1);
    r->before = resident(lo, hi);
    agent_stack_trim();
    r->after = resident(lo, hi);
    r->again = deep(1); /* the released pages come back as fresh stack */
    return NULL;
}

TEST(agent_stack_trim_releases_the_pages_below)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    struct trim_result r = {0};
    pthread_t th;
    CHECK(pthread_create(&th, &attr, trim_thread, &r) == 0);
    pthread_join(th, NULL);
    pthread_attr_destroy(&attr);
    CHECK(r.before >= 16); /* deep() left them resident */
    CHECK(r.after == 0);
    CHECK(r.first == r.again);
}
