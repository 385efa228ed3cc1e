/* netlink.c - rtnetlink requests over libmnl (see netlink.h).  One socket
 * per call: the calls are few per task, and a socket is bound to the
 * namespace it was opened in, which is exactly the scoping we want. */
#include "agent/net/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <time.h>

/* Requests and acks here are small; libmnl's size is a runtime value. */
#define NL_BUF 8192

/* Send one request and read its ack.  Returns 0, or -errno from the kernel
 * (the caller decides which errors are fine), or -EIO for socket trouble. */
static int nl_talk(struct nlmsghdr *nlh)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!nl)
        return -errno;
    int rc = -EIO;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
        goto out;
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = (uint32_t)time(NULL);
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
        goto out;
    char buf[NL_BUF];
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n < 0)
        goto out;
    rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL);
    rc = rc < 0 ? -errno : 0;
out:
    mnl_socket_close(nl);
    return rc;
}

/* Send nlh and wait for the ack.  A failure other than `tolerated` (a
 * negative errno; 0 for none) fails with "<what><name>: <strerror>". */
static int nl_request(struct nlmsghdr *nlh, int tolerated, const char *what, const char *name, struct error *err)
{
    int r = nl_talk(nlh);
    if (r >= 0 || r == tolerated)
        return 0;
    errno = -r;
    return error_sys(err, "%s%s", what, name);
}

/* A request of this type in buf (NL_BUF bytes). */
static struct nlmsghdr *msg_header(char *buf, uint16_t type, uint16_t flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    return nlh;
}

static struct ifinfomsg *link_msg(struct nlmsghdr **ret, char *buf, uint16_t type, uint16_t flags)
{
    struct nlmsghdr *nlh = msg_header(buf, type, flags);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
    ifm->ifi_family = AF_UNSPEC;
    *ret = nlh;
    return ifm;
}

static int set_up(const char *name)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh;
    struct ifinfomsg *ifm = link_msg(&nlh, buf, RTM_NEWLINK, 0);
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = IFF_UP;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return nl_talk(nlh);
}

int netlink_link_up(const char *name, struct error *err)
{
    int r = set_up(name);
    if (r < 0) {
        errno = -r;
        return error_sys(err, "setting %s up", name);
    }
    return 0;
}

int netlink_addr_add(const char *name, uint32_t addr, int prefix, struct error *err)
{
    unsigned idx = if_nametoindex(name);
    if (!idx)
        return error_sys(err, "no interface %s", name);
    char buf[NL_BUF];
    struct nlmsghdr *nlh = msg_header(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_index = idx;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    uint32_t a = htonl(addr);
    uint32_t bcast = htonl(addr | (prefix ? ~(~0u << (32 - prefix)) : ~0u));
    mnl_attr_put_u32(nlh, IFA_LOCAL, a);
    mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
    mnl_attr_put_u32(nlh, IFA_BROADCAST, bcast);
    return nl_request(nlh, -EEXIST, "adding an address to ", name, err);
}

int netlink_bridge_ensure(const char *name, uint32_t gw, int prefix, struct error *err)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh;
    link_msg(&nlh, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(nlh, li);
    if (nl_request(nlh, -EEXIST, "creating bridge ", name, err) < 0)
        return -1;
    if (netlink_addr_add(name, gw, prefix, err) < 0)
        return -1;
    return netlink_link_up(name, err);
}

int netlink_veth_create(const char *host_name, const char *bridge, int ns_fd, const char *peer_name,
                        const uint8_t mac[6], struct error *err)
{
    unsigned br = if_nametoindex(bridge);
    if (!br)
        return error_sys(err, "no bridge %s", bridge);
    char buf[NL_BUF];
    struct nlmsghdr *nlh;
    link_msg(&nlh, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
    mnl_attr_put_u32(nlh, IFLA_MASTER, br);
    struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
    pifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)ns_fd);
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, li);
    if (nl_request(nlh, 0, "creating veth ", host_name, err) < 0)
        return -1;
    return netlink_link_up(host_name, err);
}

int netlink_link_delete(const char *name, struct error *err)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh;
    link_msg(&nlh, buf, RTM_DELLINK, 0);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return nl_request(nlh, -ENODEV, "deleting link ", name, err);
}

int netlink_default_route(uint32_t gw, struct error *err)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = msg_header(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 0;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
    return nl_request(nlh, -EEXIST, "adding the default route", "", err);
}
