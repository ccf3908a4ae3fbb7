/*
 * bridge.c: run two containers that reach each other through a bridge, as
 * Docker's docker0 joins its containers.
 *
 *     usage: bridge COMMAND [ARG...] [-- COMMAND2 [ARG...]]
 *
 * Two children, each in a network namespace of its own and each with a veth
 * pair: eth0 inside, veth1 or veth2 outside, both plugged into the bridge
 * br0, a switch in the kernel:
 *
 *     one  eth0 198.51.100.1/24 ---- veth1 --+
 *                                            br0
 *     two  eth0 198.51.100.2/24 ---- veth2 --+
 *
 * Exercise (9.6 "Exercises", A bridge and two containers): wire them.  The
 * bridge has no address and the containers no route but their own
 * network's: they reach each other, and nothing else.  The names and the
 * addresses are what the tests look for.  Container one runs COMMAND;
 * container two runs COMMAND2, or, without one, nothing: it holds its
 * namespace, as Kubernetes' pause container does.  The containers, their
 * pipes and held namespaces, and the netlink requests of network.c are in
 * place; what is left is the bridge, and the wiring.  Check with
 * `make check CHAPTER=network`.
 *
 * Exit status: COMMAND's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The children run on these stacks.  They grow down: clone() gets the top. */
static char stacks[2][STACK_SIZE] __attribute__((aligned(16)));

/* The bridge, and the two containers. */
static const char bridge[] = "br0";
static struct container {
	const char *host_end;	/* its pair's end outside, plugged into br0 */
	const char *address;	/* eth0's, inside */
	char **argv;		/* its command, or NULL: it holds its namespace */
	int ready[2];		/* the pipe it waits on for one byte */
	pid_t pid;
	int netns;		/* its network namespace, held open */
	int made;		/* its pair is there */
} containers[2] = {
	{ "veth1", "198.51.100.1", NULL, { -1, -1 }, -1, -1, 0 },
	{ "veth2", "198.51.100.2", NULL, { -1, -1 }, -1, -1, 0 },
};

/* The kernel's own words on the last request it refused, if any.  The
 * helpers below are network.c's; those marked unused wait for wire() to
 * call them (the mark may go then). */
static char detail[256];

/* Prints "bridge: STEP: REASON[: DETAIL]", the reason from errno, for a
 * step that failed; returns 1, the status of a failed step. */
__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	int err = errno;	/* before stdio, which may change it */
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s%s%s\n", strerror(err), *detail ? ": " : "", detail);
	detail[0] = '\0';
	return 1;
}

/* Opens a netlink socket to the kernel's routing part, in this process's
 * network namespace, and asks for reasons with refusals; returns it, or
 * NULL with errno set. */
static struct mnl_socket *rtnl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int on = 1;

	if (nl == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof(on)) == -1) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* Opens a netlink socket in the network namespace open at netns, then comes
 * back to ours: a socket speaks for the namespace it was opened in.
 * Returns it, or NULL with errno set. */
__attribute__((unused))
static struct mnl_socket *rtnl_open_in(int netns)
{
	int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct mnl_socket *nl = NULL;

	if (ours == -1)
		return NULL;
	if (setns(netns, CLONE_NEWNET) == 0) {
		nl = rtnl_open();
		if (setns(ours, CLONE_NEWNET) == -1 && nl != NULL) {
			mnl_socket_close(nl);
			nl = NULL;
		}
	}
	close(ours);
	return nl;
}

/* Keeps each attribute of a refusal in tb, by type. */
static int error_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NLMSGERR_ATTR_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* Reads the kernel's answer, NLMSG_ERROR: 0 for an ACK, -errno for a
 * refusal, which may end in attributes that say why.  Sets errno and
 * detail for a refusal. */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	size_t skip = sizeof(*err);

	(void)data;
	if (err->error == 0)
		return MNL_CB_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += mnl_nlmsg_get_payload_len(&err->msg);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_attr_parse(nlh, skip, error_attr, tb) == MNL_CB_OK &&
	    tb[NLMSGERR_ATTR_MSG] != NULL)
		snprintf(detail, sizeof(detail), "%s",
			 mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* Sends the request nlh, passes each answer that holds data to cb (if not
 * NULL), and returns 0 at the ACK, or -1 with errno (and detail) set. */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	static unsigned int seq;
	static mnl_cb_t control[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	detail[0] = '\0';
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n == -1)
			return -1;
		rc = mnl_cb_run2(buf, n, seq, mnl_socket_get_portid(nl), cb,
				 data, control, NLMSG_MIN_TYPE);
	} while (rc == MNL_CB_OK);
	return rc == MNL_CB_ERROR ? -1 : 0;
}

/* Starts, in buf, a message of type about the link called name. */
static struct nlmsghdr *link_message(char *buf, uint16_t type, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* Brings the link name up, in the socket's namespace.  Returns 0, or 1
 * with a message. */
__attribute__((unused))
static int set_up(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, name);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (request(nl, nlh, NULL, NULL) == -1)
		return fail("RTM_NEWLINK %s up", name);
	return 0;
}

/* Deletes the link name, in the socket's namespace.  Returns 0, or 1 with
 * a message. */
static int delete_link(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	if (request(nl, link_message(buf, RTM_DELLINK, name), NULL, NULL) == -1)
		return fail("RTM_DELLINK %s", name);
	return 0;
}

/* What the kernel says of a link: its index and its operational state. */
struct link {
	unsigned int index;
	uint8_t state;
};

/* Keeps the operational state, IFLA_OPERSTATE, of a link in *data. */
static int link_attr(const struct nlattr *attr, void *data)
{
	struct link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_OPERSTATE &&
	    mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
		link->state = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

/* Reads the kernel's description of a link: its ifinfomsg, then its
 * attributes. */
static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link *link = data;

	link->index = ifm->ifi_index;
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr, data);
}

/* Asks for the link name in the socket's namespace.  Returns 0, or 1 with
 * a message. */
static int get_link(struct mnl_socket *nl, const char *name, struct link *link)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	*link = (struct link){ 0, IF_OPER_UNKNOWN };
	if (request(nl, link_message(buf, RTM_GETLINK, name), on_link, link) == -1)
		return fail("RTM_GETLINK %s", name);
	return 0;
}

/* Waits, a second at most, for the kernel to report the link name running.
 * Returns 0, or 1 with a message. */
__attribute__((unused))
static int wait_running(struct mnl_socket *nl, const char *name)
{
	struct link link;

	for (int ms = 0; ms < 1000; ms++) {
		if (get_link(nl, name, &link) != 0)
			return 1;
		if (link.state == IF_OPER_UP)
			return 0;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	errno = ETIMEDOUT;
	return fail("%s: wait until it runs", name);
}

/* Gives the link name, in the socket's namespace, the address addr/24.
 * Returns 0, or 1 with a message. */
__attribute__((unused))
static int add_address(struct mnl_socket *nl, const char *name,
		       const char *addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct link link;
	struct in_addr in;

	if (get_link(nl, name, &link) != 0)
		return 1;
	inet_pton(AF_INET, addr, &in);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = link.index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(in), &in);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(in), &in);
	if (request(nl, nlh, NULL, NULL) == -1)
		return fail("RTM_NEWADDR %s/24 dev %s", addr, name);
	return 0;
}

/* Asks for a veth pair: host_end here, and eth0 in the network namespace
 * open at netns.  Returns 0, or 1 with a message. */
__attribute__((unused))
static int make_pair(struct mnl_socket *nl, const char *host_end, int netns)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, host_end);
	struct nlattr *info, *data, *peer;

	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, netns);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (request(nl, nlh, NULL, NULL) == -1)
		return fail("RTM_NEWLINK %s type veth peer eth0", host_end);
	return 0;
}

/*
 * Wires both containers to the bridge.  Returns 0, or 1 with a message;
 * sets *made_bridge once br0 is there, and each container's made once its
 * pair is.
 *
 * TODO, with a request for each step, like those above (network.c has
 * more): make br0, `ip link add br0 type bridge` (RTM_NEWLINK, its
 * IFLA_LINKINFO nesting IFLA_INFO_KIND "bridge"); for each container, its
 * pair (make_pair), and its host's end plugged into br0, `ip link set
 * veth1 master br0` (RTM_NEWLINK with IFLA_MASTER, br0's index); through a
 * socket in the container's namespace (rtnl_open_in), lo and eth0 up and
 * eth0's address; then br0 and the host's ends up, last, and a wait for
 * each eth0 to run.  Which end should come up last, and why: network.c.
 * See 9.6 "Exercises", A bridge and two containers.
 */
static int wire(struct mnl_socket *nl, int *made_bridge)
{
	(void)nl;
	*made_bridge = 0;
	return 0;
}

/* Runs in a child, a container: wait for the cable, then become the
 * command, or hold the namespace until stopped.  Returns only if a step
 * failed. */
static int child_main(void *arg)
{
	struct container *c = arg;
	char byte;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");

	/* Every write end must go, or a parent that died would leave us
	 * waiting for ever instead of reading end of file. */
	for (int i = 0; i < 2; i++)
		if (containers[i].ready[1] != -1)
			close(containers[i].ready[1]);
	if (read(c->ready[0], &byte, 1) != 1) {
		fprintf(stderr, "%s: the parent did not set up the cable\n",
			program_invocation_short_name);
		return 1;
	}
	close(c->ready[0]);
	if (c->argv == NULL)
		for (;;)
			pause();

	execvp(c->argv[0], c->argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		c->argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Prints the usage line; returns 2, the status of a usage error. */
static int usage(void)
{
	fprintf(stderr, "usage: %s COMMAND [ARG...] [-- COMMAND2 [ARG...]]\n",
		program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWNET | SIGCHLD;
	struct mnl_socket *nl;
	int status = 0, failed = 0, made_bridge = 0;
	char path[64];

	/* "+" stops at the first non-option, so the command keeps its own options. */
	if (getopt(argc, argv, "+") != -1 || optind == argc)
		return usage();
	containers[0].argv = &argv[optind];
	/* The first lone "--" after COMMAND ends it; COMMAND2 follows. */
	for (int i = optind + 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			containers[1].argv = &argv[i + 1];
			if (i + 1 == argc)
				return usage();
			break;
		}
	nl = rtnl_open();
	if (nl == NULL)
		return fail("netlink socket");

	for (int i = 0; i < 2 && !failed; i++) {
		struct container *c = &containers[i];

		if (pipe2(c->ready, O_CLOEXEC) == -1)
			return fail("pipe2");
		/* SIGCHLD in the flags: the child signals us on exit, so
		 * waitpid() works. */
		c->pid = clone(child_main, stacks[i] + STACK_SIZE, flags, c);
		if (c->pid == -1) {
			/* Every CLONE_NEW* flag but CLONE_NEWUSER needs
			 * CAP_SYS_ADMIN. */
			fprintf(stderr, "%s: clone: %s%s\n",
				program_invocation_short_name, strerror(errno),
				errno == EPERM ? ": needs root or a user namespace "
				"(try `unshare -r`, or `make lab`)" : "");
			failed = 1;
			break;
		}
		close(c->ready[0]);
		/* Held open until the pairs are deleted: see network.c. */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", c->pid);
		c->netns = open(path, O_RDONLY | O_CLOEXEC);
		if (c->netns == -1)
			failed = fail("open `%s`", path);
	}
	if (!failed)
		failed = wire(nl, &made_bridge);
	/* Each container goes on only on its byte. */
	for (int i = 0; i < 2; i++) {
		struct container *c = &containers[i];

		if (c->pid <= 0)
			continue;
		if (!failed && write(c->ready[1], "", 1) != 1)
			failed = fail("write to container %d", i + 1);
		close(c->ready[1]);
	}
	if (failed) {
		for (int i = 0; i < 2; i++)
			if (containers[i].pid > 0)
				kill(containers[i].pid, SIGKILL);
	}

	if (containers[0].pid > 0 &&
	    waitpid(containers[0].pid, &status, 0) == -1)
		return fail("waitpid %d", containers[0].pid);
	/* The first command is the run: the second goes with it. */
	if (containers[1].pid > 0) {
		kill(containers[1].pid, SIGKILL);
		if (waitpid(containers[1].pid, NULL, 0) == -1)
			return fail("waitpid %d", containers[1].pid);
	}
	for (int i = 0; i < 2; i++) {
		if (containers[i].made &&
		    delete_link(nl, containers[i].host_end) != 0)
			failed = 1;
		if (containers[i].netns != -1)
			close(containers[i].netns);
	}
	if (made_bridge && delete_link(nl, bridge) != 0)
		failed = 1;
	mnl_socket_close(nl);
	if (failed || containers[0].pid <= 0)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
