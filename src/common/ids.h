/* ids.h - random identifiers from the kernel's CSPRNG, and short names
 * derived from them. */
#pragma once

#include <stddef.h>

/* Fill out with 2*nbytes lowercase hex characters and a NUL; out must hold
 * 2*nbytes+1 bytes. Returns 0, or -1 if getrandom failed. */
int ids_random_hex(char *out, size_t nbytes);
/* A version-4 UUID string (36 characters + NUL). */
int ids_uuid(char out[37]);
/* 32 lowercase hex characters and a NUL, like ids_random_hex(out, 16), but
 * the first 12 are the time in milliseconds since the epoch and only the
 * last 20 (80 bits) random: ids made close in time sort close together,
 * so the indexes that end in one (tasks: six of them) grow at their right
 * edge instead of at a random leaf each. */
int ids_time_hex(char out[33]);
/* The first nhex (at most 64) lowercase hex characters of the SHA-256 of
 * id's first len bytes, and a NUL; out must hold nhex+1 bytes.  For names
 * derived from an id that must differ between ids made at the same moment
 * (host veths, ENI ids, hostnames): a task id's own first characters are
 * its time. */
void ids_derived_hex(const char *id, size_t len, char *out, size_t nhex);
