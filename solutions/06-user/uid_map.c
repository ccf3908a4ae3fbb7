/*
 * uid_map.c: run a command in a new user namespace, as root inside and as
 * the caller outside.
 *
 *     usage: uid_map COMMAND [ARG...]
 *
 * user.c leaves the child as "nobody": no id of the parent is mapped into
 * the new namespace.  Here the parent writes the maps, one line each,
 * "INSIDE OUTSIDE COUNT":
 *
 *     /proc/PID/uid_map   0 UID 1      uid 0 inside is the caller's uid
 *     /proc/PID/setgroups deny         (first, or gid_map is refused)
 *     /proc/PID/gid_map   0 GID 1
 *
 * The parent writes them once the child exists, and the child must not
 * run the command before they are written: it waits on a pipe for one
 * byte.  (The child could write one-line maps of its own ids itself, as
 * `unshare --map-root-user` does; but only a writer with CAP_SETUID over
 * the parent namespace, or the set-uid newuidmap(1), may map more ids
 * than its own, which is why runtimes write the maps from outside.)
 * Without privilege, a process may map only its own effective ids, and
 * only after denying setgroups(2), which could otherwise drop a
 * supplementary group that restricts it: so this works for a plain user.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

/* The pipe on which the parent sends one byte once the maps are written. */
static int ready[2] = { -1, -1 };

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

/* Maps root inside the child's user namespace to our own uid and gid;
 * returns 0 or -1. */
static int map_root(pid_t pid)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)geteuid());
	if (write_proc(pid, "uid_map", map) == -1 ||
	    write_proc(pid, "setgroups", "deny") == -1)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)getegid());
	return write_proc(pid, "gid_map", map);
}

/* Runs in the child: wait for the maps, then become the command.  Returns
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
	/* One byte: the maps are written.  End of file: the parent failed
	 * (it said why) or died; the command must not run as nobody. */
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "%s: the parent did not write the maps\n",
			program_invocation_short_name);
		return 1;
	}
	close(ready[0]);

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWUSER | SIGCHLD;
	int status, failed;
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
