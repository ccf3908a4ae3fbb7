/*
 * mailbox.c: run a command in a new IPC namespace, with a message waiting
 * for it in a System V queue.
 *
 *     usage: mailbox [-k KEY] [-m TEXT] COMMAND [ARG...]
 *
 * The child creates a message queue with key KEY (default 0x0b5e0002) in
 * its new IPC namespace and leaves TEXT (default "hello") in it, then runs
 * the command, which finds it: `ipcs -q` lists the queue.  Outside nothing
 * shows it, ever: its key means nothing there.  System V objects outlive
 * the processes that made them, but not their namespace: when the last
 * process of the namespace ends, the queue goes with it.
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
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The longest message text -m takes: what a queue accepts by default in
 * one message (msgmax, /proc/sys/kernel/msgmax). */
#define TEXT_MAX 8192

/* The queue's key and the message, from -k and -m. */
static key_t key = 0x0b5e0002;
static const char *text = "hello";

/* Runs in the child: create the queue, post the message, then become the
 * command.  Returns only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	static struct { long type; char text[TEXT_MAX]; } msg = { .type = 1 };
	int id;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	/* IPC_EXCL: a queue already there would not be the one we made. */
	id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	if (id == -1) {
		fprintf(stderr, "%s: msgget 0x%08x: %s\n",
			program_invocation_short_name, (unsigned)key,
			strerror(errno));
		return 1;
	}
	/* The text without its NUL: main() saw that it fits. */
	memcpy(msg.text, text, strlen(text));
	if (msgsnd(id, &msg, strlen(text), IPC_NOWAIT) == -1) {
		fprintf(stderr, "%s: msgsnd 0x%08x: %s\n",
			program_invocation_short_name, (unsigned)key,
			strerror(errno));
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
	fprintf(stderr, "usage: %s [-k KEY] [-m TEXT] COMMAND [ARG...]\n",
		program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWIPC | SIGCHLD;
	int status, opt;
	char *end;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt(argc, argv, "+k:m:")) != -1) {
		if (opt == 'k') {
			key = (key_t)strtoul(optarg, &end, 0);
			if (*optarg == '\0' || *end != '\0' || key == IPC_PRIVATE) {
				fprintf(stderr, "%s: -k %s: expected a key "
					"such as 0x0b5e0002\n",
					program_invocation_short_name, optarg);
				return 2;
			}
		} else if (opt == 'm') {
			/* Longer would be cut or refused: say so now. */
			if (strlen(optarg) > TEXT_MAX) {
				fprintf(stderr, "%s: -m: a message has at most "
					"%d bytes\n",
					program_invocation_short_name, TEXT_MAX);
				return 2;
			}
			text = optarg;
		} else {
			return usage();
		}
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
