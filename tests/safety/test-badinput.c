/*
 * test-badinput.c: what every program of the workbook does with bad input
 * and a machine that refuses it.
 *
 * Runs against $PROGRAM (default: the skeleton), named after one of the
 * worked programs.  Where a step fails, the program must say so in one line
 * that names the call and the reason, and exit non-zero: never crash, never
 * succeed without running its command.  The contract (test-contract.c)
 * covers a missing command, an unknown option and a command that does not
 * exist; the over-long hostname belongs to the uts exercise (ex-uts.c).
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/00-skeleton/README.md, 0.3 \"The contract\"."

/* What each worked program does before it runs its command. */
static const struct program {
	const char *name;
	bool needs_privilege;	/* a CLONE_NEW* flag other than CLONE_NEWUSER */
	bool makes_mytmp;	/* mkdir /mytmp, then a tmpfs on it */
	bool mounts_proc;	/* a fresh proc on /proc */
	bool wires_host;	/* a veth pair in the namespace it starts in */
} programs[] = {
	{ "skeleton", false, false, false, false },
	{ "net", true, false, false, false },
	{ "mount", true, true, false, false },
	{ "uts", true, false, false, false },
	{ "ipc", true, false, false, false },
	{ "pid", true, false, true, false },
	{ "user", false, false, false, false },
	{ "network", true, false, false, true },
};

static struct run r;

/* Returns the entry for the program under test; fails if it is none of the
 * worked programs, whose steps this suite knows. */
static const struct program *under_test(void)
{
	char *path = strdup(program_under_test("skeleton"));
	const char *name = basename(path);

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (strcmp(programs[i].name, name) == 0)
			return &programs[i];
	cr_assert_fail("%s is not one of the worked programs", name);
	return NULL;
}

/* Runs the program under test on scene with args. */
static void run_with(const char *const scene[], const char *const args[])
{
	sandbox_run(&r, program_under_test("skeleton"), scene, args);
	cr_assert(r.observed, "the sandbox did not finish its report; its "
		  "stderr:\n%s", r.err);
}

/* Returns the number of lines in s. */
static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Fails unless the program failed cleanly: it exited with status want, was
 * not killed, did not run its command, and said one line holding each of
 * the words. */
static void expect_clean_failure(int want, const char *what,
				 const char *const words[])
{
	cr_expect(r.signal == 0 && r.exit_code == want,
		  "%s: the program exited %d (signal %d); expected %d, "
		  "without crashing. " SEE, what, r.exit_code, r.signal, want);
	cr_expect(!r.probed, "%s: the program ran its command anyway. " SEE,
		  what);
	cr_expect(lines(r.err) == 1,
		  "%s: the program said %d lines:\n%s\nexpected one line that "
		  "names the failed call and the reason. " SEE, what,
		  lines(r.err), r.err);
	for (int i = 0; words[i] != NULL; i++)
		cr_expect(strstr(r.err, words[i]) != NULL,
			  "%s: the program said:\n%s\nexpected a line with "
			  "\"%s\". " SEE, what, r.err, words[i]);
}

/* Runs the program under test, with the probe, on scene: where a step of
 * the program's own is refused there (refused), it must fail cleanly with
 * the words; otherwise it must run its command. */
static void expect_refused_step(const char *const scene[], bool refused,
				const char *what, const char *const words[])
{
	run_with(scene, (const char *const[]){ "@probe", NULL });
	if (refused)
		expect_clean_failure(1, what, words);
	else
		cr_expect(r.exit_code == 0 && r.probed,
			  "%s, %s exited %d and said:\n%s\nnone of its steps "
			  "is refused there: it should have run its command. "
			  SEE, what, under_test()->name, r.exit_code, r.err);
}

TestSuite(badinput, .timeout = 15);

Test(badinput, dash_dash_alone_is_a_usage_error)
{
	run_with(NULL, (const char *const[]){ "--", NULL });
	cr_expect(r.exit_code == 2 && strstr(r.err, "usage:") != NULL,
		  "with \"--\" and no command, the program exited %d and "
		  "said:\n%s\nexpected a usage line and status 2. " SEE,
		  r.exit_code, r.err);
}

Test(badinput, command_not_executable)
{
	run_with(NULL, (const char *const[]){ "/dev/null", NULL });
	expect_clean_failure(126, "a command that is not a program",
			     (const char *const[]){ "execvp /dev/null",
						    "Permission denied", NULL });
}

Test(badinput, refused_namespace_explained)
{
	expect_refused_step((const char *const[]){ "--drop-caps", NULL },
			    under_test()->needs_privilege,
			    "without capabilities",
			    (const char *const[]){
				    "clone: Operation not permitted",
				    "needs root or a user namespace", NULL });
}

Test(badinput, unwritable_mytmp)
{
	expect_refused_step((const char *const[]){ "--ro-root", NULL },
			    under_test()->makes_mytmp, "on a read-only /",
			    (const char *const[]){ "mkdir /mytmp",
						   "Read-only file system",
						   NULL });
}

/* Root of a user namespace made inside a container may make namespaces, but
 * the /proc it sees has mounts on it (the engine's) that it may not uncover,
 * and the network namespace it starts in is not its user namespace's: a
 * step after clone() fails, not clone() itself, and the hint that clone()
 * gives on EPERM would send the student the wrong way. */
Test(badinput, step_after_clone_refused)
{
	const struct program *p = under_test();

	expect_refused_step((const char *const[]){ "--mask-proc", "--userns",
						   NULL },
			    p->mounts_proc || p->wires_host,
			    "as root of a user namespace in a container",
			    p->wires_host ?
			    (const char *const[]){ "RTM_NEWLINK",
						   "Operation not permitted",
						   NULL } :
			    (const char *const[]){ "mount proc on /proc",
						   "Operation not permitted",
						   NULL });
	cr_expect(strstr(r.err, "needs root") == NULL,
		  "where clone() worked and a mount after it was refused, the "
		  "program said:\n%s\nit has what \"needs root or a user "
		  "namespace\" asks for. " SEE, r.err);
}
