/*
 * uid_map.c: run a command in a new user namespace, as root inside and as
 * the caller outside.
 *
 *     usage: uid_map COMMAND [ARG...]
 *
 * Exercise (6.6 "Exercises", Root inside, you outside): user.c leaves the
 * child as "nobody", with no id of the parent mapped inside.  Make the
 * parent map root inside to the caller's uid and gid, before the child
 * runs the command, so that `id` inside shows uid 0 and gid 0 while, seen
 * from outside, the command is still the caller.  It must work for a plain
 * user too.  Check with `make check CHAPTER=user`.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
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

	/*
	 * TODO: wait here until the parent has written the maps: the command
	 * must not start as nobody.  A pipe made before clone() does it: the
	 * child closes its copy of the write end and reads one byte, which
	 * the parent writes once the maps are there.  End of file instead
	 * means the parent failed or died: stop with status 1.  See 6.6
	 * "Exercises".
	 */
	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWUSER | SIGCHLD;
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

	/*
	 * TODO: write the child's maps, each in a single write(2):
	 * "0 UID 1" to /proc/PID/uid_map, "deny" to /proc/PID/setgroups
	 * (first: a plain user may not write gid_map before), "0 GID 1" to
	 * /proc/PID/gid_map, with UID and GID our own effective ids
	 * (geteuid(), getegid()).  Then the byte that lets the child go; on
	 * a failure, no byte.  Messages quote the path.  It must work for a
	 * plain user, without privilege: see user_namespaces(7) and 6.6
	 * "Exercises".
	 */

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
