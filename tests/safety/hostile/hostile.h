/*
 * hostile.h: what the hostile fixtures share.
 *
 * Each fixture stands in for a student's exercise: the grader compiles it
 * from the graded folder, with this file beside it, and tests it like any
 * other.  It does one harmful or broken thing; around that it behaves like
 * the skeleton: it runs its command in a child and passes the child's
 * status on.  tests/hostile.sh says, for each one, the reason its grade
 * must give, and checks that the machine is as it was.  Include it first:
 * it defines _GNU_SOURCE.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Prints "NAME: WHAT: strerror(errno)" and exits 1. */
#define DIE(what)							\
	do {								\
		fprintf(stderr, "%s: %s: %s\n",				\
			program_invocation_short_name, (what),		\
			strerror(errno));				\
		exit(1);						\
	} while (0)

/* Returns the command in argv: the first argument that is a path, since
 * the tests name the probe by its path after the exercise's own options. */
static inline char **command_of(char *argv[])
{
	for (int i = 1; argv[i] != NULL; i++)
		if (argv[i][0] == '/')
			return &argv[i];
	fprintf(stderr, "usage: %s [OPTION...] COMMAND [ARG...]\n",
		program_invocation_short_name);
	exit(2);
}

/* Runs the command in argv in a child, waits for it, and returns its status
 * the way the skeleton does. */
static inline int run_command(char *argv[])
{
	char **command = command_of(argv);
	int status;
	pid_t pid = fork();

	if (pid == -1)
		DIE("fork");
	if (pid == 0) {
		execv(command[0], command);
		DIE("execv");
	}
	if (waitpid(pid, &status, 0) == -1)
		DIE("waitpid");
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

#endif
