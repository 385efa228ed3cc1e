/* agent_memory.c - see agent_memory.h. */
#include "agent/agent_memory.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* What the caller's next calls (the poll it blocks in, a signal handler)
 * may use below this frame without a page fault. */
#define STACK_KEEP (8u * 1024)

/* The agent's threads mostly sleep: two arenas are contended only while
 * many tasks start at once. */
#define MALLOC_ARENAS 2

void agent_memory_init(void) { mallopt(M_ARENA_MAX, MALLOC_ARENAS); }

__attribute__((noinline)) void agent_stack_trim(void)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    void *lo;
    size_t size;
    int r = pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_destroy(&attr);
    if (r != 0)
        return;
    volatile char here = 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)lo + page - 1) & ~(page - 1);
    uintptr_t sp = (uintptr_t)&here;
    if (sp < start + STACK_KEEP)
        return;
    uintptr_t end = (sp - STACK_KEEP) & ~(page - 1);
    if (end > start)
        madvise((void *)start, end - start, MADV_DONTNEED);
}
