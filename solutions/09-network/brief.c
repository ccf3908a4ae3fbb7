/*
 * brief.c: list the interfaces and addresses of this network namespace, as
 * `ip -brief address` does, asking the kernel over netlink; then run a
 * command.
 *
 *     usage: brief COMMAND [ARG...]
 *
 * The skeleton, with a listing first.  One dump of the links (RTM_GETLINK
 * with NLM_F_DUMP) gives each interface's index, name and operational
 * state; one dump of the addresses (RTM_GETADDR) gives every address of
 * every family, each with the index of its interface.  A line a link, in
 * the kernel's order: NAME STATE ADDRESS/PREFIX...  Run it where you want
 * to look: `build/bin/network build/grade/bin/brief true`.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if the listing failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)
#define LINKS_MAX 64	/* more than a container has */

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* What the dumps say of each interface, in the order the kernel gave. */
static struct row {
	int index;
	char name[IFNAMSIZ];
	uint8_t state;			/* IFLA_OPERSTATE */
	char addrs[1024];		/* " A.B.C.D/N X:Y::Z/N..." */
} rows[LINKS_MAX];
static int nrows;

/* ip's names for the operational states, IF_OPER_UNKNOWN to IF_OPER_UP. */
static const char *const states[] = {
	"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING",
	"DORMANT", "UP",
};

/* Keeps a link's name and operational state in the row at data. */
static int link_attr(const struct nlattr *attr, void *data)
{
	struct row *row = data;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(row->name, sizeof(row->name), "%s",
			 mnl_attr_get_str(attr));
	else if (mnl_attr_get_type(attr) == IFLA_OPERSTATE &&
		 mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
		row->state = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

/* One link of the dump, RTM_NEWLINK: a struct ifinfomsg, then attributes. */
static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct row *row;

	(void)data;
	if (nrows == LINKS_MAX)
		return MNL_CB_OK;
	row = &rows[nrows++];
	row->index = ifm->ifi_index;
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr, row);
}

/* Keeps IFA_LOCAL and IFA_ADDRESS in tb, by type. */
static int addr_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type == IFA_LOCAL || type == IFA_ADDRESS)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* One address of the dump, RTM_NEWADDR: a struct ifaddrmsg, then its
 * attributes.  The address is IFA_LOCAL where there is one (the other end,
 * IFA_ADDRESS, differs on a point-to-point link), IFA_ADDRESS otherwise. */
static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct nlattr *addr;
	char text[INET6_ADDRSTRLEN];

	(void)data;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb) != MNL_CB_OK)
		return MNL_CB_ERROR;
	addr = tb[IFA_LOCAL] != NULL ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (addr == NULL ||
	    inet_ntop(ifa->ifa_family, mnl_attr_get_payload(addr), text,
		      sizeof(text)) == NULL)
		return MNL_CB_OK;
	for (int i = 0; i < nrows; i++) {
		size_t len = strlen(rows[i].addrs);

		if (rows[i].index == (int)ifa->ifa_index)
			snprintf(rows[i].addrs + len, sizeof(rows[i].addrs) - len,
				 " %s/%d", text, ifa->ifa_prefixlen);
	}
	return MNL_CB_OK;
}

/* Asks the kernel for a dump of type (RTM_GETLINK, RTM_GETADDR) of every
 * family, and passes each message of it to cb; returns 0, or -1 with errno
 * set. */
static int dump(struct mnl_socket *nl, uint16_t type, mnl_cb_t cb)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *gen;
	unsigned int seq = (unsigned int)time(NULL) + type;
	ssize_t n;
	int rc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	gen = mnl_nlmsg_put_extra_header(nlh, sizeof(*gen));
	gen->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	/* A dump comes in batches, and ends with NLMSG_DONE. */
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n == -1)
			return -1;
		rc = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(nl), cb, NULL);
	} while (rc == MNL_CB_OK);
	return rc == MNL_CB_ERROR ? -1 : 0;
}

/* Prints a line for each interface: its name, its state and its addresses.
 * Returns 0, or 1 with a message naming the step that failed. */
static int list(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	const char *step = NULL;

	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		step = "netlink socket";
	else if (dump(nl, RTM_GETLINK, on_link) == -1)
		step = "RTM_GETLINK";
	else if (dump(nl, RTM_GETADDR, on_addr) == -1)
		step = "RTM_GETADDR";
	if (step != NULL)
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
			step, strerror(errno));
	if (nl != NULL)
		mnl_socket_close(nl);
	if (step != NULL)
		return 1;
	for (int i = 0; i < nrows; i++)
		printf("%-16s %-14s%s\n", rows[i].name,
		       rows[i].state < sizeof(states) / sizeof(states[0]) ?
		       states[rows[i].state] : "UNKNOWN", rows[i].addrs);
	/* Before the command writes to the same place. */
	fflush(stdout);
	return 0;
}

/* Runs in the child: become the command.  Returns only if execvp() failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char *argv[])
{
	int status;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	if (getopt(argc, argv, "+") != -1 || optind == argc) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n",
			program_invocation_short_name);
		return 2;
	}
	if (list() != 0)
		return 1;

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, SIGCHLD, &argv[optind]);
	if (pid == -1) {
		fprintf(stderr, "%s: clone: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
	}

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
