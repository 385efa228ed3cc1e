/* netlink.h - the few rtnetlink requests task networking needs, through
 * libmnl: a bridge with its gateway address, veth pairs with one end moved
 * into a namespace, addresses, default routes, link state, deletion.  Each
 * call works in the network namespace of the calling thread (see
 * netns_run for another namespace). */
#pragma once

#include <stdint.h>

#include "common/error.h"

/* Create bridge `name` if missing, give it gw/prefix (host order) and set it
 * up.  An existing bridge and address are fine. */
int netlink_bridge_ensure(const char *name, uint32_t gw, int prefix, struct error *err);
/* A veth pair: host_name stays here, enslaved to bridge and up; its peer,
 * named peer_name with MAC mac, goes into the namespace ns_fd. */
int netlink_veth_create(const char *host_name, const char *bridge, int ns_fd, const char *peer_name,
                        const uint8_t mac[6], struct error *err);
/* Delete a link by name; a missing link is success. */
int netlink_link_delete(const char *name, struct error *err);
/* Set a link up by name. */
int netlink_link_up(const char *name, struct error *err);
/* Add addr/prefix (host order) to a link; an existing address is fine. */
int netlink_addr_add(const char *name, uint32_t addr, int prefix, struct error *err);
/* A default route via gw (host order). */
int netlink_default_route(uint32_t gw, struct error *err);
