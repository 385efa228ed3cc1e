/* store_elb.h - Elastic Load Balancing v2's objects: load balancers,
 * target groups, listeners and rules, each a JSON document keyed by kind,
 * region and ARN, with its parent's ARN (a listener's load balancer, a
 * rule's listener; else "") and its name. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "server/store/store.h"

#define STORE_ELB_LB "lb"
#define STORE_ELB_TG "tg"
#define STORE_ELB_LISTENER "listener"
#define STORE_ELB_RULE "rule"

/* The object of kind with arn: 1 with a new document, 0 if none, -1. */
int store_elb_get(struct store_tx *tx, const char *kind, const char *region, const char *arn, json_t **ret_doc,
                  struct error *err);
/* The object of kind named name: 1 with a new document, 0 if none, -1. */
int store_elb_find_name(struct store_tx *tx, const char *kind, const char *region, const char *name, json_t **ret_doc,
                        struct error *err);
/* Insert or replace an object. */
int store_elb_put(struct store_tx *tx, const char *kind, const char *region, const char *arn, const char *parent,
                  const char *name, json_t *doc, struct error *err);
/* Delete an object and its tags. */
int store_elb_delete(struct store_tx *tx, const char *kind, const char *region, const char *arn, struct error *err);
/* How many objects of kind there are (under parent, or all when NULL). */
int store_elb_count(struct store_tx *tx, const char *kind, const char *region, const char *parent, int64_t *ret_count,
                    struct error *err);

/* Called on each document (borrowed): 0 on, 1 stop, -1. */
typedef int (*store_elb_each_fn)(json_t *doc, void *ud, struct error *err);
/* Walk the objects of kind in region (NULL: every region), under parent
 * (NULL: any), whose ARNs sort after `after`, in ARN order. */
int store_elb_each(struct store_tx *tx, const char *kind, const char *region, const char *parent, const char *after,
                   store_elb_each_fn fn, void *ud, struct error *err);
