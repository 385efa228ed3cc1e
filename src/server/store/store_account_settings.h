/* store_account_settings.h - the account_settings table: ECS account
 * settings by region, principal ARN and setting name. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/store/store.h"

int store_account_setting_put(struct store_tx *tx, const char *region, const char *principal, const char *name,
                              const char *value, struct error *err);
/* 1 and the value into buf when set, 0 when not, -1 on error. */
int store_account_setting_get(struct store_tx *tx, const char *region, const char *principal, const char *name,
                              char *buf, size_t cap, struct error *err);
int store_account_setting_delete(struct store_tx *tx, const char *region, const char *principal, const char *name,
                                 struct error *err);
