/*
 * rewire.c: run a command in a new network namespace, wired to its parent's
 * over netlink.
 *
 *     usage: rewire COMMAND [ARG...]
 *
 * Chapter 1's veth.c, with every ip(8) turned into the netlink request it
 * sends.  The parent creates the pair with one end, veth0, in its own
 * namespace and the other, ceth0, in the child's, and gives its end an
 * address on 10.200.0.0/24:
 *
 *     parent  veth0 10.200.0.1  <---->  ceth0 10.200.0.2  child
 *
 * The child, let go through a pipe once the pair is there, sets up its end
 * through a socket of its own, which speaks for its namespace.  Once the
 * child has ended, the parent deletes its end, and the pair with it.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The pipe the parent writes one byte on once the cable is in place. */
static int ready[2] = { -1, -1 };

/* The kernel's own words on the last request it refused, if any. */
static char detail[256];

/* Prints "rewire: STEP: REASON[: DETAIL]", the reason from errno, for a
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

/* Sends the request nlh and reads the kernel's answer; returns 0 at the
 * ACK, or -1 with errno (and detail) set. */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh)
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
		rc = mnl_cb_run2(buf, n, seq, mnl_socket_get_portid(nl), NULL,
				 NULL, control, NLMSG_MIN_TYPE);
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

/* `ip link add veth0 type veth peer name ceth0 netns PID`.  Returns 0, or 1
 * with a message. */
static int make_pair(struct mnl_socket *nl, pid_t pid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, "veth0");
	struct nlattr *info, *data, *peer;

	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "ceth0");
	mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)pid);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (request(nl, nlh) == -1)
		return fail("RTM_NEWLINK veth0 type veth peer ceth0");
	return 0;
}

/* `ip addr add CIDR dev NAME`, in this process's namespace.  Returns 0, or
 * 1 with a message. */
static int add_address(struct mnl_socket *nl, const char *name,
		       const char *addr, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct in_addr in;

	inet_pton(AF_INET, addr, &in);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = if_nametoindex(name);
	if (ifa->ifa_index == 0)
		return fail("if_nametoindex %s", name);
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(in), &in);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(in), &in);
	if (request(nl, nlh) == -1)
		return fail("RTM_NEWADDR %s/%d dev %s", addr, prefix, name);
	return 0;
}

/* `ip link set NAME up`.  Returns 0, or 1 with a message. */
static int set_up(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, name);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (request(nl, nlh) == -1)
		return fail("RTM_NEWLINK %s up", name);
	return 0;
}

/* `ip link del veth0`, which takes ceth0 with it.  Returns 0, or 1 with a
 * message. */
static int delete_pair(struct mnl_socket *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	if (request(nl, link_message(buf, RTM_DELLINK, "veth0")) == -1)
		return fail("RTM_DELLINK veth0");
	return 0;
}

/* Runs in the child: wait for the cable, set up its end, then become the
 * command.  Returns only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	struct mnl_socket *nl;
	char c;
	int err, failed;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");

	/* Our copy of the write end must go, or a parent that died would
	 * leave us waiting for ever instead of reading end of file. */
	close(ready[1]);
	/* One byte means the cable is there; end of file means the parent
	 * failed or died before it was. */
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "%s: the parent did not set up the cable\n",
			program_invocation_short_name);
		return 1;
	}
	close(ready[0]);

	/* Opened here, in the child's namespace, the socket speaks for it. */
	nl = rtnl_open();
	if (nl == NULL)
		return fail("netlink socket");
	failed = set_up(nl, "lo") != 0 ||
		 add_address(nl, "ceth0", "10.200.0.2", 24) != 0 ||
		 set_up(nl, "ceth0") != 0;
	mnl_socket_close(nl);
	if (failed)
		return 1;

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWNET | SIGCHLD;
	struct mnl_socket *nl = NULL;
	int status, failed, netns, made = 0;
	char path[64];
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	if (getopt(argc, argv, "+") != -1 || optind == argc) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n",
			program_invocation_short_name);
		return 2;
	}
	if (pipe(ready) == -1)
		return fail("pipe");

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
		return 1;
	}
	close(ready[0]);
	/* Held open until veth0 is deleted: the kernel would otherwise remove
	 * the pair with the child's namespace, later, in the background. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns == -1)
		failed = fail("open `%s`", path);
	else if ((nl = rtnl_open()) == NULL)
		failed = fail("netlink socket");
	else if ((failed = make_pair(nl, pid)) == 0) {
		made = 1;
		failed = add_address(nl, "veth0", "10.200.0.1", 24) != 0 ||
			 set_up(nl, "veth0") != 0;
	}
	/* The child goes on only on our byte: half wired, it gets none. */
	if (!failed && write(ready[1], "", 1) != 1)
		failed = fail("write to the child");
	close(ready[1]);

	if (waitpid(pid, &status, 0) == -1)
		return fail("waitpid %d", pid);
	if (made && delete_pair(nl) != 0)
		failed = 1;
	if (nl != NULL)
		mnl_socket_close(nl);
	if (netns != -1)
		close(netns);
	if (failed)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
