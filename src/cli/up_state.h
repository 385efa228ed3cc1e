/* up_state.h - what `berth up` leaves in its data directory for itself and
 * for `berth down`: a summary of the state it resumes, its pid file and
 * the settings its agent ran with. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* One line on the state under DATA/server ("2 clusters, 1 service, 3 tasks
 * not stopped, 1 container instance"); false when there is none yet. */
bool up_state_summary(const char *data_dir, char *buf, size_t cap);

/* DATA/up.pid: written at start, removed at a clean exit. */
int up_state_write_pid(const char *data_dir, struct error *err);
void up_state_remove_pid(const char *data_dir);
/* The pid of a berth up still running on data_dir, or 0. */
pid_t up_state_running_pid(const char *data_dir);

/* DATA/up.NAME: one setting berth down needs to act as berth up did (the
 * agent's runtime, the region); load leaves buf alone when there is none. */
int up_state_save(const char *data_dir, const char *name, const char *value, struct error *err);
void up_state_load(const char *data_dir, const char *name, char *buf, size_t cap);

/* A docker-registry a killed berth up left running on data_dir (its pid
 * in DATA/up.registry-pid): terminate it. */
void up_state_stop_registry(const char *data_dir);

/* Whether anything is still mounted at or below dir (named in *ret_where). */
bool up_state_has_mounts(const char *dir, char *ret_where, size_t cap);
