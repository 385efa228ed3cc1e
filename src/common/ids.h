/* ids.h - random identifiers from the kernel's CSPRNG. */
#pragma once

#include <stddef.h>

/* Fill out with 2*nbytes lowercase hex characters and a NUL; out must hold
 * 2*nbytes+1 bytes. Returns 0, or -1 if getrandom failed. */
int ids_random_hex(char *out, size_t nbytes);
/* A version-4 UUID string (36 characters + NUL). */
int ids_uuid(char out[37]);
