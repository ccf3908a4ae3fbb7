/*
 * hostname.c: run a command in a new UTS namespace, under a hostname of
 * the caller's choosing.
 *
 *     usage: hostname [--hostname NAME] COMMAND [ARG...]
 *
 * uts.c, with the name from an option instead of the source.  The kernel
 * keeps at most 64 bytes of a hostname (HOST_NAME_MAX) and sethostname(2)
 * refuses more with a bare EINVAL; a longer name is refused here, while
 * parsing, with a message that says why, before any namespace is made.
 * Without --hostname the child keeps the name it inherited.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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

/* The name from --hostname, or NULL. */
static const char *hostname;

/* Runs in the child: set the hostname, then become the command.  Returns
 * only if a step failed. */
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

	/* The child is in its new UTS namespace: the name is its own. */
	if (hostname != NULL &&
	    sethostname(hostname, strlen(hostname)) == -1) {
		fprintf(stderr, "%s: sethostname %s: %s\n",
			program_invocation_short_name, hostname, strerror(errno));
		return 1;
	}

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Prints the usage line; returns 2, the status of a usage error. */
static int usage(void)
{
	fprintf(stderr, "usage: %s [--hostname NAME] COMMAND [ARG...]\n",
		program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "hostname", required_argument, NULL, 'n' },
		{ 0 },
	};
	int flags = CLONE_NEWUTS | SIGCHLD;
	int status, opt;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt_long(argc, argv, "+n:", options, NULL)) != -1) {
		if (opt != 'n')
			return usage();
		hostname = optarg;
	}
	if (optind == argc)
		return usage();
	/* Parse first, act after: a bad name costs no namespace. */
	if (hostname != NULL && strlen(hostname) > HOST_NAME_MAX) {
		fprintf(stderr, "%s: --hostname %.20s...: a hostname has at most %d "
			"bytes, this one %zu\n", program_invocation_short_name,
			hostname, HOST_NAME_MAX, strlen(hostname));
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
