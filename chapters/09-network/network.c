/*
 * network.c: run a command in a new network namespace, wired to its parent's
 * by a veth pair made over rtnetlink.
 *
 *     usage: network [--address CIDR] [--veth NAME] COMMAND [ARG...]
 *
 * net.c with a cable.  The parent asks the kernel, in netlink messages that
 * libmnl builds, for a veth pair: NAME (veth-host) in its own namespace and
 * eth0 in the child's.  Through a second socket, opened in the child's
 * namespace, it brings lo and eth0 up, gives eth0 the address CIDR
 * (203.0.113.2/30, in a block reserved for documentation, which real
 * networks should not use: it checks that this machine's do not) and a
 * default route through the host's end; then the host's end gets the
 * network's first address and comes up.  The child waits on a pipe until
 * the cable carries packets, then runs the command.  Once the command has
 * ended, the parent deletes its end, and the pair with it.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The pipe the parent writes one byte on once the cable carries packets. */
static int ready[2] = { -1, -1 };

/* The cable: the host's end and its address, the child's end and its own. */
static const char *host_end = "veth-host";
static const char child_end[] = "eth0";
static struct in_addr host_addr, child_addr;
static int prefix;

/* More on why the last request failed: the kernel's own words (its
 * extended ACK), or a hint of ours; empty when there is nothing more. */
static char detail[256];

/* Prints "network: STEP: REASON[: DETAIL]", the reason from errno, for a
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
 * back to ours: a socket speaks for the namespace it was opened in, whoever
 * uses it.  Returns it, or NULL with errno set. */
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

/* Reads the kernel's answer to a request, NLMSG_ERROR: its error is 0 for
 * an ACK, -errno for a refusal, and a refusal may end in attributes that
 * say why.  Sets errno and detail for a refusal. */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { NULL };
	size_t skip = sizeof(*err);

	(void)data;
	if (err->error == 0)
		return MNL_CB_STOP;
	/* The request comes back between the two, unless the kernel cut it. */
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

/* Starts, in buf, a message of type (RTM_NEWLINK, RTM_GETLINK, RTM_DELLINK)
 * about the link called name: its header, an ifinfomsg, and the name. */
static struct nlmsghdr *link_message(char *buf, uint16_t type, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* Asks for the pair: host_end here, and child_end in the network namespace
 * open at netns.  Returns 0, or 1 with a message. */
static int make_pair(struct mnl_socket *nl, int netns)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, host_end);
	struct nlattr *info, *data, *peer;

	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is a link of its own: an ifinfomsg, then its attributes.
	 * Its namespace goes here, inside: at the top of the message it
	 * would move host_end instead. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, child_end);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, netns);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (request(nl, nlh, NULL, NULL) == 0)
		return 0;
	/* clone() worked, so we may make namespaces; as root of a user
	 * namespace, we may wire only those it owns, not the one we are in. */
	if (errno == EPERM && *detail == '\0')
		snprintf(detail, sizeof(detail), "root of a user namespace may not "
			 "wire the network it started in (try `unshare -rn`)");
	return fail("RTM_NEWLINK %s type veth peer %s", host_end, child_end);
}

/* Brings the link name up, in the socket's namespace.  Returns 0, or 1
 * with a message. */
static int set_up(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, name);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	/* Only the flags named in ifi_change change. */
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (request(nl, nlh, NULL, NULL) == -1)
		return fail("RTM_NEWLINK %s up", name);
	return 0;
}

/* What the kernel says of a link: its index and its operational state. */
struct link {
	unsigned int index;
	uint8_t state;		/* IF_OPER_UP once it carries packets */
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

/* Reads the kernel's description of a link, an RTM_NEWLINK: its ifinfomsg,
 * then its attributes. */
static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link *link = data;

	link->index = ifm->ifi_index;
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr, data);
}

/* Asks for the link name in the socket's namespace (if_nametoindex(3)
 * would ask this process's).  Returns 0, or 1 with a message. */
static int get_link(struct mnl_socket *nl, const char *name, struct link *link)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	*link = (struct link){ 0, IF_OPER_UNKNOWN };
	if (request(nl, link_message(buf, RTM_GETLINK, name), on_link, link) == -1)
		return fail("RTM_GETLINK %s", name);
	return 0;
}

/* Waits, a second at most, for the kernel to report the link name running,
 * as it does, and starts to queue packets on it, a moment after the
 * carrier came, in the background.  Returns 0, or 1 with a message. */
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

/* Gives the link name, in the socket's namespace, the address addr/prefix.
 * Returns 0, or 1 with a message. */
static int add_address(struct mnl_socket *nl, const char *name,
		       struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	struct link link;

	if (get_link(nl, name, &link) != 0)
		return 1;
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = link.index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	if (request(nl, nlh, NULL, NULL) == -1)
		return fail("RTM_NEWADDR %s/%d dev %s", inet_ntoa(addr), prefix,
			    name);
	return 0;
}

/* Adds, in the socket's namespace, the default route: every address is
 * reached through the host's end.  Returns 0, or 1 with a message. */
static int add_default_route(struct mnl_socket *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;		/* 0.0.0.0/0 */
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(host_addr), &host_addr);
	if (request(nl, nlh, NULL, NULL) == -1)
		return fail("RTM_NEWROUTE default via %s", inet_ntoa(host_addr));
	return 0;
}

/* Keeps the length of a route's prefix, from its struct rtmsg, in *data. */
static int on_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	*(int *)data = rtm->rtm_dst_len;
	return MNL_CB_OK;
}

/* Returns 0 if this namespace reaches addr (from --address) through its
 * default route or not at all, as it must for a network of our own; 1 with
 * a message if one of its networks holds addr already, or if it cannot
 * tell. */
static int check_free(struct mnl_socket *nl, const char *address,
		      struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	int dst_len = 0;

	/* `ip route get fibmatch ADDR`: the route the kernel would take, as
	 * it stands in the table. */
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, sizeof(addr), &addr);
	if (request(nl, nlh, on_route, &dst_len) == -1)
		return errno == ENETUNREACH ? 0 :
		       fail("RTM_GETROUTE %s", inet_ntoa(addr));
	if (dst_len == 0)
		return 0;
	fprintf(stderr, "%s: --address %s: %s is on a network of this "
		"machine's already, a /%d (`ip route get fibmatch %s`): choose "
		"another network\n", program_invocation_short_name, address,
		inet_ntoa(addr), dst_len, inet_ntoa(addr));
	return 1;
}

/* Wires the child, whose network namespace is open at netns, to us: the
 * pair, then the child's side through a socket opened in its namespace,
 * then ours.  Returns 0, or 1 with a message; sets *made once the pair is
 * there. */
static int wire(struct mnl_socket *nl, int netns, int *made)
{
	struct mnl_socket *inside;
	int failed;

	if (make_pair(nl, netns) != 0)
		return 1;
	*made = 1;
	inside = rtnl_open_in(netns);
	if (inside == NULL)
		return fail("netlink socket in the child's namespace");
	/*
	 * The route comes after eth0's address: the kernel takes a gateway
	 * only on a network it reaches.  Of two ends, the one that comes up
	 * last carries packets at once, the other once the kernel has seen
	 * its carrier come, a moment later, in the background: so eth0 comes
	 * up first, and we wait for it.
	 */
	failed = set_up(inside, "lo") != 0 || set_up(inside, child_end) != 0 ||
		 add_address(inside, child_end, child_addr) != 0 ||
		 add_default_route(inside) != 0 ||
		 add_address(nl, host_end, host_addr) != 0 ||
		 set_up(nl, host_end) != 0 || wait_running(inside, child_end) != 0;
	mnl_socket_close(inside);
	return failed;
}

/* Deletes the host's end, which takes the child's with it.  Returns 0, or 1
 * with a message. */
static int delete_pair(struct mnl_socket *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	if (request(nl, link_message(buf, RTM_DELLINK, host_end), NULL, NULL) == -1)
		return fail("RTM_DELLINK %s", host_end);
	return 0;
}

/* Runs in the child: wait for the cable, then become the command.  Returns
 * only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	char c;
	int err;

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

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Reads "A.B.C.D/N" into child_addr and prefix, and sets host_addr to the
 * network's first address.  Returns 0, or 2 with a message if text is no
 * such address, or leaves no room for the cable's two ends. */
static int parse_address(const char *text)
{
	const char *slash = strchr(text, '/');
	char addr[INET_ADDRSTRLEN] = "";
	uint32_t mask, host, child;

	if (slash != NULL && slash - text < INET_ADDRSTRLEN)
		memcpy(addr, text, slash - text);
	if (slash == NULL || inet_pton(AF_INET, addr, &child_addr) != 1 ||
	    strlen(slash + 1) < 1 || strlen(slash + 1) > 2 ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1)) {
		fprintf(stderr, "%s: --address %s: not an IPv4 address and prefix "
			"(such as 203.0.113.2/30)\n", program_invocation_short_name,
			text);
		return 2;
	}
	prefix = atoi(slash + 1);
	if (prefix > 30 || prefix < 8) {
		fprintf(stderr, "%s: --address %s: the prefix /%d is too %s: the "
			"cable needs a network of /8 to /30, with room for two "
			"ends\n", program_invocation_short_name, text, prefix,
			prefix > 30 ? "long" : "short");
		return 2;
	}
	mask = ~0U << (32 - prefix);
	child = ntohl(child_addr.s_addr);
	host = (child & mask) + 1;
	host_addr.s_addr = htonl(host);
	/* The first address is the host's end; the network's own address and
	 * its broadcast address, the first and last, are no one's. */
	if (child == host || (child & ~mask) == 0 || (child & ~mask) == ~mask) {
		fprintf(stderr, "%s: --address %s: %s is not free for the child: "
			"the network's first address is the host's end, and its "
			"own and its last are no one's\n",
			program_invocation_short_name, text, addr);
		return 2;
	}
	return 0;
}

/* Returns true if name may name a link: 1 to 15 bytes, no '/', ':' or
 * white space, no '%' (the kernel would number it), not "." or "..". */
static int valid_name(const char *name)
{
	return *name != '\0' && strlen(name) < IFNAMSIZ &&
	       strpbrk(name, "/:% \t\n\v\f\r") == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Prints the usage line; returns 2, the status of a usage error. */
static int usage(void)
{
	fprintf(stderr, "usage: %s [--address CIDR] [--veth NAME] COMMAND "
		"[ARG...]\n", program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "veth", required_argument, NULL, 'v' },
		{ 0 },
	};
	int flags = CLONE_NEWNET | SIGCHLD;
	const char *address = "203.0.113.2/30";
	struct mnl_socket *nl = NULL;
	int status, opt, failed, made = 0, netns;
	char path[64];
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		if (opt == 'a')
			address = optarg;
		else if (opt == 'v')
			host_end = optarg;
		else
			return usage();
	}
	if (optind == argc)
		return usage();
	/* Parse first, act after: bad input costs no namespace. */
	if (parse_address(address) != 0)
		return 2;
	if (!valid_name(host_end)) {
		fprintf(stderr, "%s: --veth %.20s%s: not a name for a link: 1 to "
			"%d bytes, without '/', ':', '%%' or spaces\n",
			program_invocation_short_name, host_end,
			strlen(host_end) > 20 ? "..." : "", IFNAMSIZ - 1);
		return 2;
	}
	/* Our end's network must be ours alone: an address of it that the
	 * machine already reaches (its own network, say) would be taken from
	 * the machine while we run. */
	nl = rtnl_open();
	if (nl == NULL)
		return fail("netlink socket");
	if (check_free(nl, address, host_addr) != 0 ||
	    check_free(nl, address, child_addr) != 0)
		return 1;
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

	/*
	 * A namespace lives while a process, a mount or an open file holds
	 * it.  When the child ends, the kernel dismantles its namespace, and
	 * the pair with it, in the background, some milliseconds later: a run
	 * started at once would find veth-host still there.  So we hold the
	 * namespace open, which also names it to the kernel, and delete the
	 * pair ourselves once the child has ended.
	 */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns == -1)
		failed = fail("open `%s`", path);
	else
		failed = wire(nl, netns, &made);
	/* The child goes on only on our byte.  Half wired, it gets none, and
	 * goes without a word: we have said why. */
	if (!failed && write(ready[1], "", 1) != 1)
		failed = fail("write to the child");
	if (failed)
		kill(pid, SIGKILL);
	close(ready[1]);

	if (waitpid(pid, &status, 0) == -1)
		return fail("waitpid %d", pid);
	if (made && delete_pair(nl) != 0)
		failed = 1;
	mnl_socket_close(nl);
	if (netns != -1)
		close(netns);
	if (failed)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
