/* agent_memory.h - keeping the agent's footprint small with many tasks.
 *
 * Each running task has a thread that spends its life blocked in a poll.
 * Starting the containers took it tens of KB deep (paths, error buffers,
 * logging), and those stack pages stay resident after the calls return;
 * and glibc gives each new thread its own malloc arena, up to 8 per core,
 * each keeping a few hundred KB of free slack beside a task's few tens of
 * KB of live objects.  With 50 tasks the two were a third of the agent's
 * RSS (BENCHMARKS.md). */
#pragma once

/* Once, in an agent process of its own before it starts threads: at most
 * two malloc arenas. */
void agent_memory_init(void);

/* Release the pages of the calling thread's stack below the current frame
 * (less a margin for the calls it is about to make): they read as zero
 * when next touched, as fresh stack does.  For a task thread about to
 * block; not for the main thread. */
void agent_stack_trim(void);
