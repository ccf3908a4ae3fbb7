/*
 * net.c: run a command in a new network namespace.
 *
 *     usage: net COMMAND [ARG...]
 *
 * skeleton.c with one more flag, CLONE_NEWNET.  The child gets a network
 * stack of its own: its own interfaces, routes, firewall and sockets.  A new
 * stack holds the loopback `lo`, and even that is down (some machines add
 * tunnel devices, down too: see the chapter's Traps).
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

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
