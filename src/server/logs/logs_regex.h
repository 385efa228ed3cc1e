/* logs_regex.h - the regular expressions of CloudWatch Logs filter
 * patterns (%regex%), matched in time linear in the message whatever the
 * expression: a Thompson NFA run breadth-first (Pike's VM without
 * captures), never backtracking.
 *
 * Syntax (CloudWatch's, plus the POSIX extended forms people write):
 *   literals, \-escaped symbols, .  [abc] [^a-z] [\d_]   classes
 *   \d \D \w \W \s \S  \t \n  \.  \[  ...               escapes
 *   ^ $                                                   anchors
 *   * + ? {m} {m,} {m,n}                                  repetition
 *   |  ( )                                                alternation, groups
 * Back-references and look-around are refused.  A message matches when
 * the expression matches anywhere in it (bytes; NULs are ordinary). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Instructions a compiled expression may take: the matcher does at most
 * this much work per message byte.  Repetition counts multiply it
 * ("(a{1,40}){1,40}" is 1,600 copies of "a"), so they are what it bounds. */
#define LOGS_REGEX_MAX_INSNS 1000

struct logs_regex;

/* Compile re (len bytes).  ERR_INVALID with a message saying what is wrong
 * (syntax, an unsupported construct, more than LOGS_REGEX_MAX_INSNS). */
int logs_regex_compile(const char *re, size_t len, struct logs_regex **ret_regex, struct error *err);
void logs_regex_free(struct logs_regex *re);
/* Whether re matches somewhere in msg (len bytes).  Thread-safe; false when
 * out of memory. */
bool logs_regex_match(const struct logs_regex *re, const char *msg, size_t len);
