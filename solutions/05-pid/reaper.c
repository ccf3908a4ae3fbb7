/*
 * reaper.c: run a command in a new PID namespace, under an init that
 * reaps orphans.
 *
 *     usage: reaper COMMAND [ARG...]
 *
 * In pid.c the command itself is PID 1, and PID 1 has a duty most programs
 * do not know about: a process whose parent dies is re-parented to PID 1 of
 * its namespace, and when it ends it stays a zombie until PID 1 waits for
 * it.  A shell or a server as PID 1 never does, so zombies pile up.  Here
 * the child, PID 1, is a tiny init: it starts the command as PID 2, then
 * waits for any child at all, until the command itself ends.  Its exit
 * status is the command's; when it exits, the kernel kills every process
 * left in the namespace.
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
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* Starts the command as a child; returns its pid, or -1 with a message. */
static pid_t start(char **argv)
{
	pid_t pid = fork();
	int err;

	if (pid == -1) {
		fprintf(stderr, "%s: fork: %s\n", program_invocation_short_name,
			strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		err = errno;	/* before fprintf(), which may change it */
		fprintf(stderr, "%s: execvp %s: %s\n",
			program_invocation_short_name, argv[0], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	return pid;
}

/* Runs in the child, PID 1: its own /proc, the command as PID 2, then
 * reap until the command ends.  Returns the command's status. */
static int child_main(void *arg)
{
	char **argv = arg;
	pid_t command, pid;
	int status;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	/* As in pid.c: a private tree, then a /proc of this namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		fprintf(stderr, "%s: mount / MS_REC|MS_PRIVATE: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1) {
		fprintf(stderr, "%s: mount proc on /proc: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}
	command = start(argv);
	if (command == -1)
		return 1;
	/* Wait for anyone: orphans are ours now, and each one we wait for
	 * is a zombie less.  Only the command's end ends the loop. */
	do {
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			fprintf(stderr, "%s: waitpid: %s\n",
				program_invocation_short_name, strerror(errno));
			return 1;
		}
	} while (pid != command);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
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
