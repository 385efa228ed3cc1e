/* seccomp_default.h - Docker's default seccomp profile, as the OCI
 * config's `linux.seccomp` object. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The profile for a container whose bounding set is caps (names without
 * "CAP_", e.g. "SYS_ADMIN"): deny by default with EPERM, allow Docker's
 * list, and open the syscalls a granted capability stands for (mount and
 * unshare with SYS_ADMIN, ptrace with SYS_PTRACE, ...), as Docker does.
 * ptrace_always: the kernel is 4.8 or newer, where seccomp can no longer
 * be bypassed through ptrace, so Docker allows it to everyone.
 * x86_64 with its x86 and x32 sub-architectures.  A new reference. */
json_t *seccomp_default_profile(const char *const *caps, size_t n_caps, bool ptrace_always);

/* Whether the running kernel is at least major.minor (uname(2)). */
bool seccomp_kernel_at_least(int major, int minor);
