/*
 * test-contract.c: what every program of the workbook promises its caller.
 *
 * Runs against $PROGRAM (default: the skeleton): usage without a command,
 * options before the command, the command's arguments passed untouched, its
 * exit status passed back (128+N after signal N), a clear error when the
 * command cannot be run (127 when it is not found, 126 otherwise, whatever
 * stderr is), and a command that dies when the program is killed.  Every
 * sandbox holds an image where chapter 7's programs look for the
 * workbook's (/box/../image/busybox), for those that run their command in
 * one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/00-skeleton/README.md, 0.3 \"The contract\"."

static struct run r;

/* Runs the program under test with args, in scene (NULL: an empty one)
 * with the image. */
static void run_in(const char *const scene[], const char *const args[])
{
	const char *with_image[8] = { "--image", "/image/busybox" };

	for (int i = 0, n = 2; scene != NULL && scene[i] != NULL && n < 7; i++)
		with_image[n++] = scene[i];
	sandbox_run(&r, program_under_test("skeleton"), with_image, args);
	/* A limit reached says more than the status it left (0, when the
	 * program was stopped at the time limit). */
	const char *why = run_limit(&r);

	if (why != NULL && !run_only_left_behind(&r))
		cr_assert_fail("%s Its stderr:\n%s", why, r.err);
	cr_assert(r.observed, "the sandbox did not finish its report; its "
		  "stderr:\n%s", r.err);
}

/* Runs the program under test with args, in an empty scene. */
static void run_with(const char *const args[])
{
	run_in(NULL, args);
}

TestSuite(contract, .timeout = 15);

Test(contract, usage_without_a_command)
{
	run_with((const char *const[]){ NULL });
	cr_expect(r.exit_code == 2 && strstr(r.err, "usage:") != NULL,
		  "with no command, the program exited %d and said:\n%s\n"
		  "expected a line starting \"usage:\" on stderr and exit "
		  "status 2. " SEE, r.exit_code, r.err);
}

Test(contract, unknown_option_refused)
{
	run_with((const char *const[]){ "--no-such-option", "true", NULL });
	cr_expect(r.exit_code == 2 && r.err[0] != '\0',
		  "with an unknown option, the program exited %d and said:\n%s"
		  "\nexpected a message on stderr and exit status 2. " SEE,
		  r.exit_code, r.err);
}

Test(contract, arguments_pass_untouched)
{
	run_with((const char *const[]){ "printf", "[%s]", "a", "b c", "-x",
					NULL });
	cr_expect(r.exit_code == 0 && strstr(r.out, "[a][b c][-x]") != NULL,
		  "`printf [%%s] a 'b c' -x` printed:\n%s\nexpected [a][b c][-x]"
		  ": the command's own arguments, options included, must reach "
		  "it untouched (getopt with \"+\"). " SEE, r.out);
}

Test(contract, exit_status_passes_through)
{
	run_with((const char *const[]){ "sh", "-c", "exit 7", NULL });
	cr_expect(r.exit_code == 7,
		  "`sh -c 'exit 7'` made the program exit %d; expected 7: the "
		  "parent must exit with its child's status. " SEE, r.exit_code);
}

Test(contract, failure_passes_through)
{
	run_with((const char *const[]){ "false", NULL });
	cr_expect(r.exit_code == 1,
		  "`false` made the program exit %d; expected 1. " SEE,
		  r.exit_code);
}

Test(contract, signal_becomes_128_plus_n)
{
	run_with((const char *const[]){ "@probe", "--crash", NULL });
	cr_expect(r.exit_code == 128 + 11,
		  "a command killed by SIGSEGV (11) made the program exit %d "
		  "(signal %d); expected 139, 128 + 11, as the shell reports "
		  "it. " SEE, r.exit_code, r.signal);
}

Test(contract, missing_command_explained)
{
	run_with((const char *const[]){ "no-such-command", NULL });
	cr_expect(r.exit_code == 127 &&
		  strstr(r.err, "no-such-command") != NULL &&
		  strstr(r.err, "No such file or directory") != NULL,
		  "a command that does not exist made the program exit %d and "
		  "say:\n%s\nexpected exit status 127 and a message naming the "
		  "command and the reason. " SEE, r.exit_code, r.err);
}

Test(contract, unrunnable_command_126)
{
	run_with((const char *const[]){ "/dev/null", NULL });
	cr_expect(r.exit_code == 126 && strstr(r.err, "/dev/null") != NULL,
		  "a command that exists but cannot be run (/dev/null, not "
		  "executable) made the program exit %d and say:\n%s\nexpected "
		  "exit status 126 and a message naming the command: 127 is "
		  "for a command not found (ENOENT), 126 for any other reason "
		  "execvp() gives. " SEE, r.exit_code, r.err);
}

Test(contract, missing_command_127_without_stderr)
{
	run_in((const char *const[]){ "--no-stderr", NULL },
	       (const char *const[]){ "no-such-command", NULL });
	cr_expect(r.exit_code == 127,
		  "a command that does not exist, run with stderr closed "
		  "(2>&-), made the program exit %d; expected 127. Writing the "
		  "message failed and changed errno: keep errno right after "
		  "execvp() returns, before fprintf(). " SEE, r.exit_code);
}

Test(contract, command_dies_with_the_program)
{
	run_in((const char *const[]){ "--signal", "TERM", NULL },
	       (const char *const[]){ "@probe", "--hold", NULL });
	const char *orphans = run_get(&r, "during", "signal TERM orphans");

	cr_expect(orphans != NULL && strcmp(orphans, "0") == 0,
		  "the program was killed with SIGTERM while its command ran; "
		  "%s of its processes still ran 300 ms later (%s), adopted "
		  "by the machine's init. The child must ask to die with its "
		  "parent: prctl(PR_SET_PDEATHSIG, SIGKILL) before execvp(). "
		  "See chapters/00-skeleton/README.md, \"When the parent "
		  "dies\".", orphans ? orphans : "some",
		  run_list(&r, "during", "signal"));
}
