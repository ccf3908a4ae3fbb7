/*
 * rootless.c: run a command under a hostname of the caller's choosing,
 * without privilege.
 *
 *     usage: rootless [--hostname NAME] COMMAND [ARG...]
 *
 * uts.c needs root: CLONE_NEWUTS asks for CAP_SYS_ADMIN.  A plain user has
 * no capability, except in a user namespace of their own, where they have
 * them all.  So ask for both at once: clone(2) makes the user namespace
 * first, and the UTS namespace it makes next belongs to it, so the child
 * may rename it.  The parent maps root inside to the caller, as in
 * uid_map.c, so that the command, once it has run execvp(), is root of its
 * namespaces and may rename the host again itself (`hostname`).
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

/* The pipe on which the parent sends one byte once the maps are written;
 * the name from --hostname. */
static int ready[2] = { -1, -1 };
static const char *hostname;

/* Writes text to /proc/PID/file; returns 0, or -1 with a message. */
static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "%s: open `%s`: %s\n",
			program_invocation_short_name, path, strerror(errno));
		return -1;
	}
	/* One write(2): the kernel takes a map whole, or not at all. */
	n = write(fd, text, strlen(text));
	err = n == -1 ? errno : n != (ssize_t)strlen(text) ? EIO : 0;
	if (close(fd) == -1 && err == 0)
		err = errno;
	if (err != 0) {
		fprintf(stderr, "%s: write `%s` to `%s`: %s\n",
			program_invocation_short_name, text, path,
			strerror(err));
		return -1;
	}
	return 0;
}

/* Maps root inside to our uid and gid (setgroups denied first, as a plain
 * user must); returns 0 or -1. */
static int map_root(pid_t pid)
{
	char uid_map[64], gid_map[64];

	snprintf(uid_map, sizeof(uid_map), "0 %u 1\n", (unsigned)geteuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1\n", (unsigned)getegid());
	if (write_proc(pid, "uid_map", uid_map) == -1 ||
	    write_proc(pid, "setgroups", "deny") == -1 ||
	    write_proc(pid, "gid_map", gid_map) == -1)
		return -1;
	return 0;
}

/* Runs in the child: wait for the maps, name the host, then become the
 * command.  Returns only if a step failed. */
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

	/* One byte: the maps are written; end of file: the parent failed. */
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "%s: the parent did not write the maps\n",
			program_invocation_short_name);
		return 1;
	}
	close(ready[0]);
	/* The UTS namespace belongs to our user namespace: we may. */
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
	int flags = CLONE_NEWUSER | CLONE_NEWUTS | SIGCHLD;
	int status, opt, failed;
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
	if (pipe(ready) == -1) {
		fprintf(stderr, "%s: pipe: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
	}

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		fprintf(stderr, "%s: clone: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
	}
	close(ready[0]);
	failed = map_root(pid) == -1;
	if (!failed && write(ready[1], "", 1) != 1) {
		fprintf(stderr, "%s: write to the child: %s\n",
			program_invocation_short_name, strerror(errno));
		failed = 1;
	}
	close(ready[1]);

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	if (failed)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
