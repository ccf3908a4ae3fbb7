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
 * one.  The rules that need no scene of their own share one sandbox, where
 * contract.c runs the program for each in turn.
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

/* The rules that need no scene of their own, each a run of the program
 * with its arguments, one after another in one sandbox (contract.c), which
 * their tests share (SANDBOX_CACHE keeps it): five sandboxes cost five
 * times what one does.  Each run has RULE_MS, as a sandbox's program has;
 * all of them, three times that: after one that reaches it, the rest are
 * not run. */
#define RULE_MS 4000
static char rule_ms[16], rules_ms[16];
static const char *rules[] = {
	"@contract", "--limit", rule_ms,
	"usage",
	"--", "unknown_option", "--no-such-option", "true",
	"--", "arguments", "printf", "[%s]", "a", "b c", "-x",
	"--", "exit_7", "sh", "-c", "exit 7",
	"--", "false", "false",
	"--", "crash", "@probe", "--crash",
	"--", "missing", "no-such-command",
	"--", "unrunnable", "/dev/null",
	NULL
};

/* What the program did for one rule. */
static struct rule {
	int exit_code, signal;
	char out[8192], err[8192];
} c;

/* Appends text and a newline to buf, of size bytes, as far as it holds. */
static void add_line(char *buf, size_t size, const char *text)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s\n", text);
}

/* Fills c with what the program did for the rule name; fails the test if
 * it was stopped at the time limit, or not run. */
static void run_rule(const char *name)
{
	static const char *const scene[] = { "--driver", "--time-limit",
					     rules_ms, NULL };
	char prefix[64], *copy, *save = NULL;
	const char *rest = NULL;
	size_t n;

	/* The sandbox stretches the scene's limit itself; the driver's is
	 * an argument like any other. */
	snprintf(rule_ms, sizeof(rule_ms), "%d", RULE_MS * sandbox_time_scale());
	snprintf(rules_ms, sizeof(rules_ms), "%d", 3 * RULE_MS);
	run_in(scene, rules);
	memset(&c, 0, sizeof(c));
	n = (size_t)snprintf(prefix, sizeof(prefix), "rule %s ", name);
	copy = strdup(r.out);
	cr_assert(copy != NULL, "out of memory");
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, prefix, n) != 0)
			continue;
		line += n;
		if (strncmp(line, "out ", 4) == 0)
			add_line(c.out, sizeof(c.out), line + 4);
		else if (strncmp(line, "err ", 4) == 0)
			add_line(c.err, sizeof(c.err), line + 4);
		else if (sscanf(line, "status exit %d", &c.exit_code) == 1 ||
			 sscanf(line, "status signal %d", &c.signal) == 1 ||
			 strcmp(line, "limit time") == 0 || strcmp(line, "skipped") == 0)
			rest = line;
	}
	cr_assert(rest != NULL, "the sandbox did not report the program's run "
		  "for this rule; its stderr:\n%s", r.err);
	cr_assert(strcmp(rest, "skipped") != 0, "not run: for an earlier rule "
		  "of the contract the program was still running after %d s, "
		  "and was stopped. Does it wait for something that never comes, "
		  "or loop without end?", RULE_MS / 1000);
	cr_assert(strcmp(rest, "limit time") != 0, "time limit: the program "
		  "was still running after %d s and was stopped. Does it wait "
		  "for something that never comes, or loop without end? Its "
		  "stderr:\n%s", RULE_MS / 1000, c.err);
	free(copy);
}

/* Room for the shared run's limit, and the sandbox around it. */
TestSuite(contract, .timeout = 30);

Test(contract, usage_without_a_command)
{
	run_rule("usage");
	cr_expect(c.exit_code == 2 && strstr(c.err, "usage:") != NULL,
		  "with no command, the program exited %d and said:\n%s\n"
		  "expected a line starting \"usage:\" on stderr and exit "
		  "status 2. " SEE, c.exit_code, c.err);
}

Test(contract, unknown_option_refused)
{
	run_rule("unknown_option");
	cr_expect(c.exit_code == 2 && c.err[0] != '\0',
		  "with an unknown option, the program exited %d and said:\n%s"
		  "\nexpected a message on stderr and exit status 2. " SEE,
		  c.exit_code, c.err);
}

Test(contract, arguments_pass_untouched)
{
	run_rule("arguments");
	cr_expect(c.exit_code == 0 && strstr(c.out, "[a][b c][-x]") != NULL,
		  "`printf [%%s] a 'b c' -x` printed:\n%s\nexpected [a][b c][-x]"
		  ": the command's own arguments, options included, must reach "
		  "it untouched (getopt with \"+\"). " SEE, c.out);
}

Test(contract, exit_status_passes_through)
{
	run_rule("exit_7");
	cr_expect(c.exit_code == 7,
		  "`sh -c 'exit 7'` made the program exit %d; expected 7: the "
		  "parent must exit with its child's status. " SEE, c.exit_code);
}

Test(contract, failure_passes_through)
{
	run_rule("false");
	cr_expect(c.exit_code == 1,
		  "`false` made the program exit %d; expected 1. " SEE,
		  c.exit_code);
}

Test(contract, signal_becomes_128_plus_n)
{
	run_rule("crash");
	cr_expect(c.exit_code == 128 + 11,
		  "a command killed by SIGSEGV (11) made the program exit %d "
		  "(signal %d); expected 139, 128 + 11, as the shell reports "
		  "it. " SEE, c.exit_code, c.signal);
}

Test(contract, missing_command_explained)
{
	run_rule("missing");
	cr_expect(c.exit_code == 127 &&
		  strstr(c.err, "no-such-command") != NULL &&
		  strstr(c.err, "No such file or directory") != NULL,
		  "a command that does not exist made the program exit %d and "
		  "say:\n%s\nexpected exit status 127 and a message naming the "
		  "command and the reason. " SEE, c.exit_code, c.err);
}

Test(contract, unrunnable_command_126)
{
	run_rule("unrunnable");
	cr_expect(c.exit_code == 126 && strstr(c.err, "/dev/null") != NULL,
		  "a command that exists but cannot be run (/dev/null, not "
		  "executable) made the program exit %d and say:\n%s\nexpected "
		  "exit status 126 and a message naming the command: 127 is "
		  "for a command not found (ENOENT), 126 for any other reason "
		  "execvp() gives. " SEE, c.exit_code, c.err);
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
