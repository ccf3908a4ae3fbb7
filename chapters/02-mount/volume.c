/*
 * volume.c: run a command with a folder of its parent's, read-only.
 *
 *     usage: volume [-v SOURCE:TARGET] COMMAND [ARG...]
 *
 * Exercise (2.6 "Exercises", A read-only volume): do what
 * `docker run -v SOURCE:TARGET:ro` does.  In the child's mount namespace,
 * bind-mount the folder SOURCE on TARGET (made if missing), read-only, the
 * mounts under it included: the command can read it and cannot change it,
 * while SOURCE stays as writable as it was for everyone else.  The options are parsed for you.  Check
 * with `make check CHAPTER=mount`.
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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The volume, from -v SOURCE:TARGET; NULL when there is none. */
static char *source, *target;

/* Runs in the child: a private tree, the volume, then the command.
 * Returns only if a step failed. */
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

	/* Without this, a shared "/" would carry the volume to the parent. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		fprintf(stderr, "%s: mount / MS_REC|MS_PRIVATE: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	/*
	 * TODO: if source is not NULL, make target (mkdir, EEXIST is fine) and
	 * bind source on it (MS_BIND | MS_REC), read-only, the mounts under it
	 * too.  Read 2.6 "Exercises" before you write the read-only part:
	 * mount(2) has two traps there, and the tests look for both, from
	 * inside and outside.
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
	fprintf(stderr, "usage: %s [-v SOURCE:TARGET] COMMAND [ARG...]\n",
		program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWNS | SIGCHLD;
	int status, opt;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt(argc, argv, "+v:")) != -1) {
		if (opt != 'v')
			return usage();
		source = optarg;
		target = strchr(optarg, ':');
		if (target == NULL || target == source || target[1] != '/') {
			fprintf(stderr, "%s: -v %s: expected SOURCE:/TARGET\n",
				program_invocation_short_name, optarg);
			return 2;
		}
		*target++ = '\0';
	}
	if (optind == argc)
		return usage();

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
