/*
 * links.c: what the observer asks the kernel about links (see links.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#include "links.h"

enum { LINKS_MAX = 64 };

/* One link of the dump: its index, name, master's index (0: none) and
 * operational state. */
struct link {
	unsigned int index, master;
	char name[IFNAMSIZ];
	unsigned char state;
};

/* All the links of the dump. */
struct links {
	struct link link[LINKS_MAX];
	int n;
};

/* Keeps IFLA_IFNAME, IFLA_MASTER and IFLA_OPERSTATE in the link at data. */
static int link_attr(const struct nlattr *attr, void *data)
{
	struct link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(link->name, sizeof(link->name), "%s",
			 mnl_attr_get_str(attr));
	else if (mnl_attr_get_type(attr) == IFLA_MASTER &&
		 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		link->master = mnl_attr_get_u32(attr);
	else if (mnl_attr_get_type(attr) == IFLA_OPERSTATE &&
		 mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
		link->state = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

/* Adds one link of the dump to the struct links at data. */
static int on_link(const struct nlmsghdr *nlh, void *data)
{
	struct links *links = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link *link;

	if (links->n == LINKS_MAX)
		return MNL_CB_OK;
	link = &links->link[links->n++];
	*link = (struct link){ .index = (unsigned int)ifm->ifi_index };
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr, link);
}

/* Dumps the links of this network namespace into links; returns 0, or -1
 * with errno set. */
static int dump_links(struct links *links)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *gen;
	unsigned int seq = (unsigned int)time(NULL), portid;
	int rc = MNL_CB_OK;
	ssize_t n;

	if (nl == NULL)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		mnl_socket_close(nl);
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		rc = MNL_CB_ERROR;
	while (rc == MNL_CB_OK) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		rc = n == -1 ? MNL_CB_ERROR :
		     mnl_cb_run(buf, (size_t)n, seq, portid, on_link, links);
	}
	mnl_socket_close(nl);
	return rc == MNL_CB_ERROR ? -1 : 0;
}

void report_ports(FILE *out)
{
	static struct links links;

	links.n = 0;
	if (dump_links(&links) == -1) {
		fprintf(out, "unreadable ports: %s\n", strerror(errno));
		return;
	}
	for (int i = 0; i < links.n; i++)
		for (int j = 0; j < links.n && links.link[i].master != 0; j++)
			if (links.link[j].index == links.link[i].master)
				fprintf(out, "port %s %s\n", links.link[i].name,
					links.link[j].name);
}

/* Returns true if the dump holds a link called name, operationally up. */
static int up_in(const struct links *links, const char *name)
{
	for (int i = 0; i < links->n; i++)
		if (strcmp(links->link[i].name, name) == 0)
			return links->link[i].state == IF_OPER_UP;
	return 0;
}

int links_wait_up(const char *const names[], int ms)
{
	static struct links links;

	for (int waited = 0; waited <= ms; waited += 5) {
		int all = 1;

		links.n = 0;
		if (dump_links(&links) == -1)
			return -1;
		for (int i = 0; names[i] != NULL; i++)
			all &= up_in(&links, names[i]);
		if (all)
			return 0;
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	errno = ETIMEDOUT;
	return -1;
}
