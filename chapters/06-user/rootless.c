/*
 * rootless.c: run a command under a hostname of the caller's choosing,
 * without privilege.
 *
 *     usage: rootless [--hostname NAME] COMMAND [ARG...]
 *
 * Exercise (6.6 "Exercises", A hostname without root): uts.c needs root,
 * since CLONE_NEWUTS asks for CAP_SYS_ADMIN.  Make this program work for a
 * plain user: the child names the host NAME in a UTS namespace of its own,
 * the caller's hostname stays as it was, and the command runs as root of
 * its namespaces, so that it could rename the host again itself.  The
 * tests run it with no capability at all.  Check with
 * `make check CHAPTER=user`.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

/* Runs in the child: become the command.  Returns only if a step failed. */
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

	/*
	 * TODO: set the hostname, if --hostname gave one.  That takes
	 * CAP_SYS_ADMIN in the user namespace that owns the UTS namespace:
	 * which flags in main() make it this child's own?  Then, for the
	 * command to keep its power after execvp(), it must be root inside:
	 * map it as in Root inside, you outside, and wait for the map here.
	 * See 6.4 "Why it works" and 6.6 "Exercises".
	 */

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
	/* TODO: the flags (6.2 "The one change", 3.2 "The one change"). */
	int flags = CLONE_NEWUSER | SIGCHLD;
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
			"bytes\n", program_invocation_short_name, hostname,
			HOST_NAME_MAX);
		return 2;
	}

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		fprintf(stderr, "%s: clone: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
	}

	/* TODO: write the child's maps, then let it go (6.6 "Exercises"). */

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
