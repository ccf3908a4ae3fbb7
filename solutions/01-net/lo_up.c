/*
 * lo_up.c: run a command in a new network namespace whose loopback is up.
 *
 *     usage: lo_up COMMAND [ARG...]
 *
 * net.c, plus one step in the child: bring `lo` up before running the
 * command, the way `ip link set lo up` does.  A new network namespace has
 * a loopback interface, but down, so even `ping 127.0.0.1` fails there.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* Sets IFF_UP on the interface name; returns 0, or -1 with a message. */
static int link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int sock, rc = -1;

	/* Interface flags are read and set through any socket of the
	 * namespace: the socket is only a handle on its network stack. */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock == -1) {
		fprintf(stderr, "%s: socket AF_INET: %s\n",
			program_invocation_short_name, strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	/* Read the flags first: SIOCSIFFLAGS sets all of them at once. */
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) == -1) {
		fprintf(stderr, "%s: SIOCGIFFLAGS %s: %s\n",
			program_invocation_short_name, name, strerror(errno));
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr) == -1)
			fprintf(stderr, "%s: SIOCSIFFLAGS %s IFF_UP: %s\n",
				program_invocation_short_name, name,
				strerror(errno));
		else
			rc = 0;
	}
	close(sock);
	return rc;
}

/* Runs in the child: bring lo up, then become the command.  Returns only
 * if a step failed. */
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

	/* The child is in its new namespace already: this lo is its own. */
	if (link_up("lo") == -1)
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
	int status;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	if (getopt(argc, argv, "+") != -1 || optind == argc) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n",
			program_invocation_short_name);
		return 2;
	}

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
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
