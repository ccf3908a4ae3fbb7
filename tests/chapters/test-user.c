/*
 * test-user.c: chapter 6, the user namespace, without a mapping.
 *
 * The sandbox's root is the caller: uid 0 as the observer sees it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/06-user/README.md, 6.2 \"The one change\"."
#define SEE_WHY "See chapters/06-user/README.md, 6.4 \"Why it works\"."

static const char *const probe[] = { "@probe", "--hold", NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("user"), NULL, probe);
	expect_probe_ran(&r);
}

TestSuite(user, .timeout = 15);

Test(user, child_is_nobody_inside)
{
	observe();
	const char *uid = run_get(&r, "inside", "uid");
	const char *gid = run_get(&r, "inside", "gid");

	cr_expect(uid != NULL && gid != NULL && strcmp(uid, "65534") == 0 &&
		  strcmp(gid, "65534") == 0,
		  "inside, `id` shows uid %s and gid %s; expected 65534 for "
		  "both (nobody, nogroup), as in a user namespace with no "
		  "mapping. Did you add CLONE_NEWUSER? " SEE, uid, gid);
}

Test(user, files_belong_to_nobody_inside)
{
	observe();
	const char *owner = run_get(&r, "inside", "owner /");

	cr_expect(owner != NULL && strcmp(owner, "65534 65534") == 0,
		  "inside, `ls -ld /` shows owner and group %s; expected "
		  "65534 65534: no uid of the parent is mapped inside, so "
		  "every owner shows as the overflow id. " SEE_WHY, owner);
}

Test(user, same_process_is_the_caller_outside)
{
	observe();
	const char *pid = run_task(&r, "probe");
	const char *task = run_find(&r, "during", "task ");
	const char *inside = run_get(&r, "inside", "uid");
	char line[64];

	snprintf(line, sizeof(line), "task %s probe 0 0", pid ? pid : "?");
	cr_expect(inside != NULL && strcmp(inside, "65534") == 0 &&
		  run_has(&r, "during", line),
		  "the command is uid %s inside, and outside: %s; expected "
		  "65534 inside and, outside, still the caller (uid 0 here): "
		  "a user namespace changes what a process is called, not "
		  "who it is. " SEE_WHY, inside, task);
}

Test(user, user_namespace_differs)
{
	observe();
	expect_new_namespace(&r, "user", SEE);
}
