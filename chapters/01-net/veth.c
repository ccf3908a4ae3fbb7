/*
 * veth.c: run a command in a new network namespace, wired to its parent's.
 *
 *     usage: veth COMMAND [ARG...]
 *
 * Exercise (1.6 "Exercises", Wire the child to its parent): connect the
 * child's namespace to the parent's with a veth pair, a virtual cable,
 * so that `ping 10.200.0.1` works from inside:
 *
 *     parent  veth0 10.200.0.1/24  <---->  ceth0 10.200.0.2/24  child
 *
 * Both ends up, lo up inside too.  The names and addresses are what the
 * tests look for.  The pipe below is in place: the child waits on it for
 * one byte, which the parent writes once the cable is there.  Check with
 * `make check CHAPTER=net`.
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

/* The pipe the parent closes once the cable is in place. */
static int ready[2] = { -1, -1 };

/* Runs in the child: wait for the cable, then become the command.  Returns
 * only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	char c;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

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

	/*
	 * TODO: set up the child's end, now that the parent has moved it in:
	 * lo up, 10.200.0.2/24 on ceth0, ceth0 up.  Running ip(8) is fine
	 * (`ip link set lo up`, `ip addr add ...`, `ip link set ceth0 up`):
	 * fork and exec it, or posix_spawnp(3), and wait for it; return 1 if
	 * it fails.  See 1.6 "Exercises".
	 */

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
	if (pipe(ready) == -1) {
		fprintf(stderr, "%s: pipe: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
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
	close(ready[0]);

	/*
	 * TODO: create the pair, with ceth0 in the child's namespace:
	 * `ip link add veth0 type veth peer name ceth0 netns PID` moves the
	 * peer into the network namespace of process PID.  Then 10.200.0.1/24
	 * on veth0, and veth0 up.  Why the parent, and why only now: 1.6
	 * "Exercises".  Wait for each ip(8) you start.  If a step fails, do
	 * not write the byte below: close the pipe, and the child stops.
	 */

	/* One byte: the cable is there, the child goes on. */
	if (write(ready[1], "", 1) != 1) {
		fprintf(stderr, "%s: write to the child: %s\n",
			program_invocation_short_name, strerror(errno));
		close(ready[1]);
		waitpid(pid, &status, 0);
		return 1;
	}
	close(ready[1]);

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}

	/*
	 * TODO: once the child has ended, remove veth0 if you made it (`ip
	 * link del veth0`).  The kernel would remove the pair with the child's
	 * namespace, but in the background, a little later, and could beat
	 * you to it: hold the namespace open from clone() on (open
	 * /proc/PID/ns/net) and close it only after.  See 1.6 "Exercises".
	 * A failure here is a failure of the program.
	 */
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
