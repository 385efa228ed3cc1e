/* account_settings.h - ECS account settings: PutAccountSetting,
 * PutAccountSettingDefault, DeleteAccountSetting, ListAccountSettings, and
 * the effective value of a setting for the caller (its own, else the
 * account's default set by the root, else ECS's).
 *
 * berth takes only the settings it honours: containerInsights (the
 * default of new clusters) and the three long ARN formats (always
 * enabled); the others are refused rather than recorded to no effect. */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

/* The value of setting `name` in effect for the caller, into buf. */
int account_setting_effective(struct op_ctx *ctx, const char *name, char *buf, size_t cap, struct error *err);

API_ACTION(action_put_account_setting);
API_ACTION(action_put_account_setting_default);
API_ACTION(action_delete_account_setting);
API_ACTION(action_list_account_settings);
