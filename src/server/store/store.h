/* store.h - berth's durable state, behind a narrow interface.
 *
 * Handlers never see SQL: they open a transaction, call the resource
 * functions declared in store_*.h, and the API dispatcher commits.  A commit
 * returns only once the change is durable (SQLite WAL, and an fdatasync
 * shared by the writers that committed meanwhile: store.c), so a response
 * sent after it survives kill -9 and power loss.  Another backend (a networked
 * database for HA) would implement these same functions. */
#pragma once

#include <stdbool.h>

#include "common/error.h"

struct store;
struct store_tx;

/* Open (creating if needed) the database under dir and apply migrations. */
int store_open(const char *dir, struct store **ret_store, struct error *err);
/* Open a PostgreSQL store at url (libpq URI or conninfo) and apply
 * migrations; err never repeats url (it may carry a password). */
int store_open_postgres(const char *url, struct store **ret_store, struct error *err);
void store_close(struct store *st);

/* Begin a transaction.  Write transactions are serialised (one at a time);
 * read transactions see a consistent snapshot and run concurrently. */
int store_begin(struct store *st, bool write, struct store_tx **ret_tx, struct error *err);
/* Commit and free tx.  On failure tx is rolled back and freed all the same;
 * err's kind is ERR_RETRY when a concurrent transaction (another server's,
 * on PostgreSQL) made it fail a serialization check: the whole
 * transaction, run again from its BEGIN, may then succeed. */
int store_commit(struct store_tx *tx, struct error *err);
/* Roll back and free tx; accepts NULL. */
void store_rollback(struct store_tx *tx);
bool store_tx_is_write(const struct store_tx *tx);
/* Whether a statement of tx failed because a concurrent transaction touched
 * the same rows (PostgreSQL's 40001 serialization failure or 40P01
 * deadlock): whatever the caller made of that error, the transaction is to
 * be rolled back and run again.  Never with SQLite (one writer). */
bool store_tx_conflicted(const struct store_tx *tx);
/* Whether tx's PostgreSQL session is gone (the server restarted, or the
 * network failed): nothing of tx was committed, and running it again on a
 * new session may succeed once PostgreSQL is back. */
bool store_tx_lost(const struct store_tx *tx);
/* How long a caller keeps trying while the store is unavailable
 * (ERR_UNAVAILABLE) before it reports that, and its first pause. */
#define STORE_UNAVAILABLE_WAIT (3 * USEC_PER_SEC)
#define STORE_UNAVAILABLE_PAUSE (100 * USEC_PER_MSEC)
/* How many times a caller runs a transaction that keeps conflicting before
 * it gives up and reports the error. */
#define STORE_TX_ATTEMPTS 8
/* Call fn(ud, committed) when tx ends: after a successful commit with
 * committed true, after a rollback or failed commit with false.  For
 * in-memory state that must follow only what the database kept. */
typedef void (*store_tx_end_fn)(void *ud, bool committed);
int store_tx_on_end(struct store_tx *tx, store_tx_end_fn fn, void *ud, struct error *err);

/* Rows SQLite stepped through in full-table scans, summed over the cached
 * statements of idle connections (with reset, counters restart).  Tests use
 * it to prove that hot queries stay indexed as tables grow. */
long long store_fullscan_steps(struct store *st, bool reset);
/* Virtual-machine steps, likewise: grows with the rows a query visits, so a
 * query whose cost is flat as tables grow keeps this flat too. */
long long store_vm_steps(struct store *st, bool reset);
/* Write transactions committed, and how many of them an fdatasync has
 * covered: tests check that store_commit() never returns before its own. */
void store_commit_counts(struct store *st, unsigned long long *ret_committed, unsigned long long *ret_synced);

/* Whether this server is the leader: the one that runs the work that must
 * run once (service scheduler, maintenance, alarm evaluation).  With SQLite
 * always.  With PostgreSQL the leader holds a session advisory lock on a
 * connection of its own; each call checks that session (and takes the lock
 * when it is free), so a follower takes over within one call of the
 * leader's session ending. */
bool store_is_leader(struct store *st);
/* Begin a write transaction for leader work (a scheduler round,
 * maintenance, alarms).  With PostgreSQL it is fenced: it fails with
 * ERR_CONFLICT, and this server stops leading, unless the leader epoch this
 * server took the lock with is still the database's, and a new leader's
 * takeover waits until it ends; so a leader that lost its session (paused,
 * cut off) never commits leader work beside its successor's. */
int store_begin_leader(struct store *st, struct store_tx **ret_tx, struct error *err);

/* What the servers sharing a PostgreSQL database agree on: the value
 * stored under name (lower-case letters and _), set to hex (lower-case
 * hex) by the first server that asks, into ret_hex (cap bytes).  With
 * SQLite, hex itself: no other server shares the store. */
int store_shared_value(struct store *st, const char *name, const char *hex, char *ret_hex, size_t cap,
                       struct error *err);
/* Call fn(ud), from a thread of the store's, whenever any server's write
 * transaction on the same database has committed (PostgreSQL's
 * LISTEN/NOTIFY: within milliseconds), and after a lost listening session
 * is back.  With SQLite, a no-op: this process makes every write.  The
 * store stops calling it in store_close(). */
int store_watch_start(struct store *st, void (*fn)(void *ud), void *ud, struct error *err);

/* The schema version after migrations (for tests and `berth server --version`). */
int store_schema_version(struct store *st);
