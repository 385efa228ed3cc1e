/* secret_box.h - secrets at rest: AES-256-GCM under a master key kept
 * outside the database (DATA/master.key, 0600, made on first start).  What
 * the store holds is nonce || tag || ciphertext; without the key file it
 * reads as noise.  Callers wipe plaintexts they no longer need. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

#define SECRET_BOX_OVERHEAD 28 /* 12-byte nonce + 16-byte tag */

struct secret_box;

/* Load DATA/master.key, or make it (32 random bytes) when the data dir has
 * none; a key file of another size or mode is refused. */
int secret_box_open(const char *data_dir, struct secret_box **ret, struct error *err);
void secret_box_free(struct secret_box *b);

/* plaintext -> sealed (appended to out, SECRET_BOX_OVERHEAD + len bytes). */
int secret_box_seal(const struct secret_box *b, const void *plaintext, size_t len, struct buf *out, struct error *err);
/* sealed -> plaintext (appended to out); -1 if it was altered or sealed
 * under another key. */
int secret_box_open_sealed(const struct secret_box *b, const void *sealed, size_t len, struct buf *out,
                           struct error *err);
