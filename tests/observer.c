/*
 * observer.c: the sandbox's own witness, run as its first process.
 *
 *     usage: observer [--nproc N] [--veth] [--msgq] [--rshared] -- PROGRAM [ARG...]
 *
 * Prepares what a chapter's tests need to see from the outside, runs the
 * program under test, and reports the sandbox's state around it:
 *
 *   --veth      create the interface pair veth-host / veth-peer
 *   --msgq      create a System V message queue with key 0x0b5e0001
 *   --rshared   make every mount shared, the way systemd boots a machine,
 *               so that a mount that leaks out of the program is seen
 *   --nproc N   let the sandbox hold at most N processes (RLIMIT_NPROC)
 *
 * Output: "== before" and its view (report.h), then the program's own output
 * (the probe prints "== inside" ... "== end inside"), "== during" with every
 * process the program started, taken once the probe has printed its report,
 * "== after" with the view once the program has ended, and "== status exit N"
 * or "== status signal N".  The program's stderr is left alone.
 *
 * Exit status: 0 when it observed the program to the end; 1 when it could not
 * prepare the scene or start the program (the reason is on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "die.h"
#include "report.h"

#define OBSERVER_MSGQ_KEY 0x0b5e0001

extern char **environ;

/* Runs a helper command to completion; dies unless it exits 0. */
static void run(char *const argv[])
{
	pid_t pid;
	int status, rc;

	rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc != 0) {
		errno = rc;
		die("spawn %s", argv[0]);
	}
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid %s", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die_msg("%s failed", argv[0]);
}

/* Starts argv with stdin and stdout connected to pipes; returns its pid and
 * stores our ends of the pipes in *to_stdin and *from_stdout. */
static pid_t start(char *argv[], int *to_stdin, int *from_stdout)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		die("pipe2");
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		die("fork");
	if (pid == 0) {
		if (dup2(in[0], STDIN_FILENO) == -1 ||
		    dup2(out[1], STDOUT_FILENO) == -1)
			die("dup2");
		execv(argv[0], argv);
		die("execv %s", argv[0]);
	}
	close(in[0]);
	close(out[1]);
	*to_stdin = in[1];
	*from_stdout = out[0];
	return pid;
}

/* Copies the program's output to ours until it ends; once the probe says
 * "== end inside", reports the running processes and closes the program's
 * stdin, which lets a holding probe exit.  Returns the wait status. */
static int relay(pid_t pid, int to_stdin, int from_stdout)
{
	static const char marker[] = "== end inside\n";
	FILE *in = fdopen(from_stdout, "r");
	char *line = NULL;
	size_t cap = 0;
	int status;

	if (in == NULL)
		die("fdopen");
	while (getline(&line, &cap, in) != -1) {
		fputs(line, stdout);
		if (to_stdin != -1 && strcmp(line, marker) == 0) {
			printf("== during\n");
			report_tasks(stdout, pid);
			fflush(stdout);
			close(to_stdin);
			to_stdin = -1;
		}
	}
	/* A program that leaves a process behind holding the pipe gets here
	 * only when that process ends too; the sandbox's time limit ends it. */
	free(line);
	fclose(in);
	if (to_stdin != -1)
		close(to_stdin);
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid %d", pid);
	return status;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "veth", no_argument, NULL, 'v' },
		{ "msgq", no_argument, NULL, 'q' },
		{ "rshared", no_argument, NULL, 'r' },
		{ "nproc", required_argument, NULL, 'n' },
		{ 0 },
	};
	static char *veth[] = { "ip", "link", "add", "veth-host", "type",
				"veth", "peer", "name", "veth-peer", NULL };
	int want_veth = 0, want_msgq = 0, want_rshared = 0, opt;
	long nproc = 0;
	int to_stdin, from_stdout, status;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (opt) {
		case 'v': want_veth = 1; break;
		case 'q': want_msgq = 1; break;
		case 'r': want_rshared = 1; break;
		case 'n': nproc = atol(optarg); break;
		default: die_msg("usage: observer [--nproc N] [--veth] [--msgq] [--rshared] -- PROGRAM [ARG...]");
		}
	}
	if (optind == argc)
		die_msg("usage: observer [--nproc N] [--veth] [--msgq] [--rshared] -- PROGRAM [ARG...]");

	/* The count is kept per user in each user namespace, and a namespace's
	 * processes count against its creator's limit too: set here, it bounds
	 * the sandbox whether the uid outside is a spare one or the caller's,
	 * whose other processes it does not count. */
	if (nproc > 0) {
		struct rlimit limit = { (rlim_t)nproc, (rlim_t)nproc };

		if (setrlimit(RLIMIT_NPROC, &limit) == -1)
			die("setrlimit RLIMIT_NPROC %ld", nproc);
	}

	if (want_veth)
		run(veth);
	if (want_msgq && msgget(OBSERVER_MSGQ_KEY, IPC_CREAT | 0644) == -1)
		die("msgget 0x%08x", OBSERVER_MSGQ_KEY);
	if (want_rshared && mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) == -1)
		die("mount / MS_REC|MS_SHARED");

	printf("== before\n");
	report_view(stdout);

	pid = start(&argv[optind], &to_stdin, &from_stdout);
	status = relay(pid, to_stdin, from_stdout);

	printf("== after\n");
	report_view(stdout);
	if (WIFSIGNALED(status))
		printf("== status signal %d\n", WTERMSIG(status));
	else
		printf("== status exit %d\n", WEXITSTATUS(status));
	return 0;
}
