/*
 * test-uts.c: chapter 3, the UTS namespace.
 *
 * The sandbox is called "sandbox"; the probe renames the host it runs in.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/03-uts/README.md, 3.2 \"The one change\"."

static const char *const probe[] = { "@probe", "--sethostname", "renamed",
				     "--hold", NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("uts"), NULL, probe);
	expect_probe_ran(&r);
}

TestSuite(uts, .timeout = 15);

Test(uts, child_sees_myhostname)
{
	observe();
	const char *name = run_get(&r, "inside", "hostname");

	cr_expect(name != NULL && strcmp(name, "myhostname") == 0,
		  "inside, the hostname is \"%s\"; expected \"myhostname\". "
		  "Does the child call sethostname() before execvp()? " SEE,
		  name);
}

Test(uts, parent_keeps_its_hostname)
{
	observe();
	const char *before = run_get(&r, "before", "hostname");
	const char *after = run_get(&r, "after", "hostname");

	cr_expect(run_has(&r, "inside", "done sethostname renamed"),
		  "the command could not set a hostname inside: %s",
		  run_list(&r, "inside", "failed"));
	cr_expect(before != NULL && after != NULL && strcmp(before, after) == 0,
		  "outside, the hostname was \"%s\" and is now \"%s\": the "
		  "child renamed its parent's machine. Did you add "
		  "CLONE_NEWUTS? " SEE, before, after);
}

Test(uts, uts_namespace_differs)
{
	observe();
	expect_new_namespace(&r, "uts", SEE);
}
