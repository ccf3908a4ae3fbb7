/*
 * init.c: run a command in a new PID namespace, under an init that passes
 * on the signals that stop it.
 *
 *     usage: init COMMAND [ARG...]
 *
 * `docker stop` sends SIGTERM to PID 1 of the container; Ctrl-C sends
 * SIGINT.  But the kernel delivers to PID 1 only the signals it has a
 * handler for, so a command that is PID 1 and never asked for SIGTERM does
 * not die of it: the signal is dropped, and the container hangs until it is
 * killed.  Here, as in reaper.c, the child is a small init and the command
 * PID 2, where default actions apply.  Each process on the way passes
 * SIGTERM and SIGINT on: this program to the init, the init to the command.
 * The init reaps orphans too, and ends with the command's status.
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

/* Where a stop signal goes on to: the init in the parent, the command in
 * the init.  0 until known; the signals stay blocked until then. */
static volatile sig_atomic_t forward_to;

static sigset_t stop_signals;

/* The handler: pass the signal on.  If the process has just ended (ESRCH),
 * its wait says so; a handler has no one else to tell. */
static void forward(int sig)
{
	int saved = errno;

	if (forward_to > 0)
		kill(forward_to, sig);
	errno = saved;
}

/* Returns the status to exit with for the wait status of a child. */
static int exit_status(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Runs in the child, PID 1: its own /proc, the command as PID 2, then pass
 * on signals and reap until the command ends.  Returns its status. */
static int child_main(void *arg)
{
	char **argv = arg;
	pid_t command, pid;
	int status, err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1) {
		fprintf(stderr, "%s: mount proc on a private /proc: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}
	command = fork();
	if (command == -1) {
		fprintf(stderr, "%s: fork: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
	}
	if (command == 0) {
		/* The command must meet SIGTERM and SIGINT with their default
		 * actions.  exec would reset our handlers, but only once it
		 * runs: a signal unblocked before that would reach forward(),
		 * which knows no one to pass it to here, and be lost.  So the
		 * default actions first, then unblock: a pending signal then
		 * kills us at once, as it would kill the command. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
		execvp(argv[0], argv);
		err = errno;	/* before fprintf(), which may change it */
		fprintf(stderr, "%s: execvp %s: %s\n",
			program_invocation_short_name, argv[0], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	forward_to = command;
	sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);
	do {
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			fprintf(stderr, "%s: waitpid: %s\n",
				program_invocation_short_name, strerror(errno));
			return 1;
		}
	} while (pid != command);
	return exit_status(status);
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
	/* SA_RESTART: a signal in the middle of waitpid() resumes the wait. */
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };
	int status;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	if (getopt(argc, argv, "+") != -1 || optind == argc) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n",
			program_invocation_short_name);
		return 2;
	}

	/* Handlers before clone(), so the init has them from its first
	 * instruction: without one, PID 1 would drop the signal.  Blocked
	 * until each process knows where to forward. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		fprintf(stderr, "%s: sigaction SIGTERM, SIGINT: %s\n",
			program_invocation_short_name, strerror(errno));
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
	forward_to = pid;
	sigprocmask(SIG_UNBLOCK, &stop_signals, NULL);

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	return exit_status(status);
}
