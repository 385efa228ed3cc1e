/* store_checkpoint.h - the SQLite store's WAL checkpoints, on a thread of
 * their own beside the writer.  store.c starts it with a connection of its
 * own and hooks the writer's commits to it. */
#pragma once

#include <stdbool.h>

#include "server/store/fifo_lock.h"
#include "server/store/store_internal.h"

struct store_checkpointer;

/* Starts the thread on conn (borrowed until stop).  A WAL restart holds
 * write_lock, and calls read_gate(ud, true) before it and (ud, false)
 * after, so that no new read transaction begins meanwhile.  NULL if the
 * thread could not start. */
struct store_checkpointer *store_checkpointer_start(struct store_conn *conn, struct fifo_lock *write_lock,
                                                    void (*read_gate)(void *ud, bool closed), void *ud);
/* The writer connection's sqlite3_wal_hook, with the checkpointer as ud. */
int store_checkpointer_wal_hook(void *ud, sqlite3 *db, const char *name, int pages);
/* Stops and joins the thread; frees the checkpointer (not its connection). */
void store_checkpointer_stop(struct store_checkpointer *ck);
