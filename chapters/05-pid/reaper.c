/*
 * reaper.c: run a command in a new PID namespace, under an init that
 * reaps orphans.
 *
 *     usage: reaper COMMAND [ARG...]
 *
 * Exercise (5.6 "Exercises", An init that reaps): in pid.c the command is
 * PID 1, and PID 1 has a duty most programs know nothing of.  A process
 * whose parent dies is re-parented to PID 1 of its namespace, and when it
 * ends it stays a zombie until PID 1 waits for it.  Make the child a tiny
 * init: it starts the command as its own child (PID 2), waits for any
 * child at all until the command ends, and exits with the command's
 * status.  Check with `make check CHAPTER=pid`.
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

/* Runs in the child, PID 1: its own /proc, then the command.  Returns
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

	/* Without this, a shared "/" would carry the new /proc back to the parent. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		fprintf(stderr, "%s: mount / MS_REC|MS_PRIVATE: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}
	/* A proc mounted by a process shows that process's PID namespace. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1) {
		fprintf(stderr, "%s: mount proc on /proc: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	/*
	 * TODO: do not become the command: fork(2) it, so that it is PID 2
	 * and this process stays PID 1.  Then wait for any child,
	 * waitpid(-1, ...), again and again: orphans are re-parented to us,
	 * and each wait reaps one.  Stop when the command itself has ended,
	 * and return its status (128+N if a signal killed it).  If execvp()
	 * fails in the forked command, it reports it and ends with _exit()
	 * (not exit(), which would flush stdio buffers it shares with us),
	 * with the status the lines below return: 127 or 126, as every
	 * program of the workbook does.  See 5.6 "Exercises".
	 */
	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
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
