/*
 * brief.c: list the interfaces and addresses of this network namespace, as
 * `ip -brief address` does, asking the kernel over netlink; then run a
 * command.
 *
 *     usage: brief COMMAND [ARG...]
 *
 * Exercise (9.6 "Exercises", Ask the kernel yourself): before it starts the
 * command, print a line for each interface, in the order the kernel gives
 * them: its name, its state as ip(8) names it (UP, DOWN, UNKNOWN...), then
 * each of its addresses, IPv4 and IPv6, as ADDRESS/PREFIX, separated by
 * spaces.  Ask the kernel with two netlink dumps, RTM_GETLINK and
 * RTM_GETADDR, through libmnl; run no ip(8).  If a step fails, say which,
 * and exit 1 before the command.  Check with `make check CHAPTER=network`.
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

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/*
 * Prints a line for each interface: its name, its state and its addresses.
 * Returns 0, or 1 with a message naming the step that failed.
 *
 * TODO: open a netlink socket (mnl_socket_open2, mnl_socket_bind), and ask
 * for two dumps, each a request with NLM_F_REQUEST | NLM_F_DUMP and a
 * struct rtgenmsg of family AF_UNSPEC, whose answers you read until
 * mnl_cb_run() says the dump is done:
 *
 *   RTM_GETLINK: a message per interface, a struct ifinfomsg (its index)
 *   and attributes: IFLA_IFNAME, IFLA_OPERSTATE (IF_OPER_UP...);
 *   RTM_GETADDR: a message per address, a struct ifaddrmsg (its family,
 *   prefix length and interface's index) and attributes: IFA_LOCAL, or
 *   IFA_ADDRESS where there is no IFA_LOCAL.
 *
 * Parse each message with mnl_attr_parse() and a small callback.  Print
 * once both dumps are read, then fflush(stdout): the command writes to the
 * same place.  See 9.6 "Exercises", Ask the kernel yourself.
 */
static int list(void)
{
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
