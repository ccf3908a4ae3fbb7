/*
 * hostname.c: run a command in a new UTS namespace, under a hostname of
 * the caller's choosing.
 *
 *     usage: hostname [--hostname NAME] COMMAND [ARG...]
 *
 * Exercise (3.6 "Exercises", Name the host): uts.c always names the host
 * "myhostname".  Take the name from --hostname instead.  The kernel keeps
 * at most 64 bytes of a hostname: refuse a longer one with a message that
 * says so, and exit status 2, before any namespace is made.  Without
 * --hostname, keep the name the child inherited.  Check with `make check CHAPTER=uts`.
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

/* The name the child sets. */
static const char *hostname = "myhostname";

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

	if (sethostname(hostname, strlen(hostname)) == -1) {
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
		/* TODO: keep the name, optarg, for the child. */
	}
	if (optind == argc)
		return usage();
	/*
	 * TODO: refuse a name longer than HOST_NAME_MAX (64) bytes here, while
	 * parsing: say so on stderr and return 2.  sethostname(2) would only
	 * say "Invalid argument", and only after clone().  Without --hostname, the
	 * child should set no name at all.  See 3.6 "Exercises".
	 */

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
