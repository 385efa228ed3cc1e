/* agent_sync.h - how the agent's task threads wait for their containers: a
 * poll on a wake-up eventfd beside an inotify fd.  (Condition variables on
 * the monotonic clock are common/timeutil.h's.)  It knows nothing of what
 * they wait for. */
#pragma once

/* Block until wake_fd (an eventfd) or inotify_fd (-1: none) is readable, or
 * timeout_ms passes (-1: no timeout); then empty whichever was readable, so
 * the next call waits for new events. */
void agent_sync_poll(int wake_fd, int inotify_fd, int timeout_ms);
