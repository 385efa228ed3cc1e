/* taskdef_units.h - task-level cpu and memory as ECS accepts them: plain
 * numbers, or amounts with units ("1 vCPU", "2 GB"). */
#pragma once

#include "common/error.h"

/* Docker 20.10 and later refuse a container memory limit under 6 MiB; ECS
 * uses the same floor. */
#define TASKDEF_MIN_MIB 6

/* Parse a task-level `cpu` value: CPU units ("1024") or vCPUs ("1 vCPU",
 * "0.5 vcpu", "2vcpu").  *ret_units is the value in CPU units, between 128
 * and 196608 as ECS documents.  Fails with a ClientException-kind error
 * "Invalid 'cpu' setting for task." otherwise. */
int taskdef_parse_cpu(const char *s, long *ret_units, struct error *err);

/* Parse a task-level `memory` value: MiB ("512") or with a unit ("2 GB",
 * "1GB", "0.5 GiB", "512 MiB", "512 MB").  GB and GiB both mean 1024 MiB, as
 * in ECS.  *ret_mib is the value in MiB; it must be whole and at least
 * TASKDEF_MIN_MIB. */
int taskdef_parse_memory(const char *s, long *ret_mib, struct error *err);
