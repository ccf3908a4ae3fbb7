/*
 * ex-pid.c: the exercises of chapter 5, the PID namespace.
 *
 * reaper: the probe leaves an orphan that ends at once, and waits up to
 * 1 s for it to be reaped.  init: once the probe has reported, the
 * observer sends the program SIGTERM or SIGINT (--signal) and waits up to
 * 1 s for it to end; the probe has no handler of its own.  Then the same
 * signal sent while the forked command is held at the door of execve(2),
 * before the kernel resets its handlers (--early-signal): a command that
 * still has the init's handler there loses it, every time.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "exercise.h"

#define SEE_REAPER "See 5.6 \"Exercises\", An init that reaps (chapters/05-pid/exercises.md)."
#define SEE_INIT "See 5.6 \"Exercises\", Pass on the stop signal (chapters/05-pid/exercises.md)."
#define SEE_NEWPID "See chapters/05-pid/README.md, 5.2 \"The one change\"."

static struct run r;

TestSuite(reaper, .timeout = 15);

/* Runs the program; the probe leaves an orphan. */
static void observe_reaper(void)
{
	static const char *const args[] = { "@probe", "--orphan", "--hold",
					    NULL };

	ex_run(&r, NULL, args);
	ex_expect_ran(&r, SEE_REAPER);
}

Test(reaper, command_runs_under_an_init)
{
	observe_reaper();
	cr_expect(ex_new_namespace(&r, "pid") &&
		  strcmp(ex_get(&r, "inside", "pid"), "1") != 0 &&
		  strcmp(ex_get(&r, "inside", "ppid"), "1") == 0,
		  "inside, the command is PID %s and its parent PID %s; "
		  "expected a child of PID 1, the init, in a PID namespace of "
		  "its own (processes inside: %s). PID 1 forks the command, "
		  "then waits. " SEE_REAPER, ex_get(&r, "inside", "pid"),
		  ex_get(&r, "inside", "ppid"), ex_list(&r, "inside", "proc"));
}

Test(reaper, orphans_are_reaped)
{
	observe_reaper();
	cr_expect(ex_new_namespace(&r, "pid"),
		  "the command runs in its parent's PID namespace, whose init "
		  "reaps for it. Keep CLONE_NEWPID. " SEE_NEWPID);
	cr_expect(run_find(&r, "inside", "done orphan ") != NULL,
		  "inside, an orphan the command left was not reaped: %s. An "
		  "orphan is re-parented to PID 1, which must wait for any "
		  "child (waitpid(-1, ...)), not only for the command. "
		  SEE_REAPER, ex_list(&r, "inside", "failed"));
}

TestSuite(init, .timeout = 15);

/* Runs the program and sends it signal ("TERM" or "INT") once the probe
 * has reported; checks that it ended of it, with status 128 + number. */
static void expect_stopped_by(const char *signal, int number)
{
	const char *const scene[] = { "--signal", signal, NULL };
	static const char *const args[] = { "@probe", "--hold", NULL };
	char stopped[32];

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_INIT);
	snprintf(stopped, sizeof(stopped), "signal %s stopped ", signal);
	if (r.signal == number)
		cr_assert_fail("SIG%s killed the program itself (signal %d): "
			       "its command never heard of it, and could not "
			       "end on its own terms. Catch SIG%s with "
			       "sigaction() and pass it on to the child with "
			       "kill(). " SEE_INIT, signal, number, signal);
	cr_expect(run_find(&r, "during", stopped) != NULL,
		  "SIG%s sent to the program did not stop its command within "
		  "1 s (%s). The kernel drops signals PID 1 has no handler "
		  "for: the command must not be PID 1 (it is PID %s here), "
		  "and every process on the way must pass the signal on. "
		  SEE_INIT, signal, ex_get(&r, "during", "signal"),
		  ex_get(&r, "inside", "pid"));
	cr_expect(r.exit_code == 128 + number && r.signal == 0,
		  "after SIG%s, the program exited %d (signal %d); expected "
		  "%d, 128 + %d, as the command was killed by it: the init "
		  "and then the program exit with the command's status. "
		  SEE_INIT, signal, r.exit_code, r.signal, 128 + number, number);
}

Test(init, sigterm_stops_the_command)
{
	expect_stopped_by("TERM", 15);
}

Test(init, sigint_stops_the_command)
{
	expect_stopped_by("INT", 2);
}

Test(init, sigterm_at_the_start_stops_the_command)
{
	static const char *const scene[] = { "--early-signal", "TERM", NULL };
	static const char *const args[] = { "@probe", "--hold", NULL };
	const char *early;
	int trials = 0, lost = 1, killed = 1;

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_INIT);
	early = run_get(&r, "before", "early TERM");
	cr_assert(early != NULL && sscanf(early, "%d lost %d killed %d", &trials,
					  &lost, &killed) == 3,
		  "the sandbox did not report the early signals (%s).",
		  ex_clean(early));
	cr_expect(killed == 0,
		  "SIGTERM sent to the program just as its command was about "
		  "to run killed the program itself (trial %d): it has no "
		  "handler for it. Catch it with sigaction() before clone() "
		  "and pass it on. " SEE_INIT, trials);
	cr_expect(lost == 0,
		  "SIGTERM sent to the program while its command was in "
		  "execvp() (the grader held it there) was lost in trial %d: "
		  "the command still ran 2 s later. The forked command keeps "
		  "the init's handlers until execvp() replaces it, so a signal "
		  "it takes before then goes to the handler, which has no one "
		  "to pass it to. Restore SIG_DFL for SIGTERM and SIGINT in "
		  "the command before it unblocks them. " SEE_INIT, trials);
}
