/* taskdef_units.c - parsing task-level cpu and memory with their units.
 * Pure string handling; the rules that compare these with the containers'
 * values are in taskdef_validate.c. */
#include "server/ecs/taskdef_units.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/api.h"
#include "common/cleanup.h"

/* ECS's documented range for task-level cpu (0.125 to 192 vCPUs). */
#define MIN_TASK_CPU 128
#define MAX_TASK_CPU 196608
/* Far above any machine; keeps the arithmetic below in range. */
#define MAX_TASK_MIB (64L * 1024 * 1024)

#define client_error(err, ...) error_set((err), API_ERR_CLIENT, __VA_ARGS__)

/* Split "  0.5 vCPU " into a non-negative number and a unit (lowercased,
 * possibly empty).  *ret_integral says the number had no fraction. */
static bool split_amount(const char *s, double *ret_value, bool *ret_integral, char *unit, size_t cap)
{
    while (*s == ' ')
        s++;
    const char *p = s;
    size_t digits = 0;
    bool dot = false;
    while (isdigit((unsigned char)*p) || (*p == '.' && !dot)) {
        if (*p == '.')
            dot = true;
        else
            digits++;
        p++;
    }
    if (digits == 0 || digits > 12)
        return false;
    char num[32];
    size_t n = (size_t)(p - s);
    if (n >= sizeof(num))
        return false;
    memcpy(num, s, n);
    num[n] = '\0';
    while (*p == ' ')
        p++;
    size_t u = 0;
    while (*p && *p != ' ') {
        if (u + 1 >= cap)
            return false;
        unit[u++] = (char)tolower((unsigned char)*p);
        p++;
    }
    unit[u] = '\0';
    while (*p == ' ')
        p++;
    if (*p)
        return false;
    *ret_value = strtod(num, NULL);
    *ret_integral = !dot;
    return true;
}

int taskdef_parse_cpu(const char *s, long *ret_units, struct error *err)
{
    double v = 0;
    bool integral = false;
    char unit[16];
    if (!s || !split_amount(s, &v, &integral, unit, sizeof(unit)))
        return client_error(err, "Invalid 'cpu' setting for task.");
    double units;
    if (unit[0] == '\0' && integral)
        units = v;
    else if (strcmp(unit, "vcpu") == 0 || strcmp(unit, "vcpus") == 0)
        units = v * 1024.0;
    else
        return client_error(err, "Invalid 'cpu' setting for task.");
    if (units < MIN_TASK_CPU || units > MAX_TASK_CPU || units != floor(units))
        return client_error(err,
                            "Invalid 'cpu' setting for task. Supported values are between %d CPU units "
                            "(0.125 vCPUs) and %d CPU units (192 vCPUs).",
                            MIN_TASK_CPU, MAX_TASK_CPU);
    *ret_units = (long)units;
    return 0;
}

int taskdef_parse_memory(const char *s, long *ret_mib, struct error *err)
{
    static const struct {
        const char *name;
        double mib;
    } units[] = {
        {"", 1}, {"m", 1}, {"mb", 1}, {"mib", 1}, {"g", 1024}, {"gb", 1024}, {"gib", 1024},
    };
    double v = 0;
    bool integral = false;
    char unit[16];
    if (!s || !split_amount(s, &v, &integral, unit, sizeof(unit)))
        return client_error(err, "Invalid 'memory' setting for task.");
    for (size_t i = 0; i < ELEMENTSOF(units); i++) {
        if (strcmp(unit, units[i].name) != 0)
            continue;
        if (units[i].mib == 1 && !integral)
            break;
        double mib = v * units[i].mib;
        if (mib < TASKDEF_MIN_MIB || mib > (double)MAX_TASK_MIB || mib != floor(mib))
            return client_error(err,
                                "Invalid 'memory' setting for task. The task memory must be a whole "
                                "number of MiB, at least %d.",
                                TASKDEF_MIN_MIB);
        *ret_mib = (long)mib;
        return 0;
    }
    return client_error(err, "Invalid 'memory' setting for task.");
}
