/* changes.h - "something was committed": a generation counter that writers
 * bump after each commit and that long-polls and the service scheduler wait
 * on, instead of on timers alone.  It carries no data; waiters re-read the
 * store.  Stopping it ends every wait. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"

struct changes;

struct changes *changes_new(void);
void changes_free(struct changes *c);

/* After a committed write: wake every waiter. */
void changes_notify(struct changes *c);
/* The current generation, to wait for the next change after it. */
uint64_t changes_generation(struct changes *c);
/* Until the generation moves past `seen`, `deadline` (monotonic) passes or
 * the feed stops; returns the generation then. */
uint64_t changes_wait(struct changes *c, uint64_t seen, usec_t deadline);
/* Until `deadline` (monotonic) or the feed stops, whatever is committed. */
void changes_sleep(struct changes *c, usec_t deadline);
/* End all waits, now and later. */
void changes_stop(struct changes *c);
bool changes_stopping(struct changes *c);
