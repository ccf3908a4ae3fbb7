/*
 * init.c: run a command in a new PID namespace, under an init that passes
 * on the signals that stop it.
 *
 *     usage: init COMMAND [ARG...]
 *
 * Exercise (5.6 "Exercises", Pass on the stop signal): `docker stop` sends
 * SIGTERM; Ctrl-C sends SIGINT.  SIGTERM or SIGINT sent to this program
 * must stop the command, even one that never asked for them (most do not),
 * and the program must then exit with the command's status, 128+15 or
 * 128+2.  Here the command is PID 1, and the kernel drops the signals PID 1
 * has no handler for.  Check with `make check CHAPTER=pid`.
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
	 * TODO: a command that is PID 1 never sees SIGTERM unless it asked
	 * for it.  Make this child an init that runs the command as PID 2
	 * (fork, as in An init that reaps), and pass SIGTERM and SIGINT on at
	 * each step: this program to the child, the child to the command,
	 * with sigaction(2) and kill(2).  The init exits with the command's
	 * status; so does this program.  Mind the moment before a process
	 * knows whom to pass a signal to, and the forked command, which has
	 * your handlers until it execs.  See 5.6 "Exercises".
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
