/*
 * test-skeleton.c: chapter 0, the skeleton: no new namespace at all.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

static const char *const probe[] = { "@probe", "--hold", NULL };

TestSuite(skeleton, .timeout = 15);

Test(skeleton, runs_in_the_callers_namespaces)
{
	static const char *const types[] = {
		"ns cgroup", "ns ipc", "ns mnt", "ns net", "ns pid", "ns user",
		"ns uts",
	};
	struct run r;

	sandbox_run(&r, program_under_test("skeleton"), NULL, probe);
	expect_probe_ran(&r);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const char *inside = run_get(&r, "inside", types[i]);
		const char *outside = run_get(&r, "before", types[i]);

		cr_expect(inside != NULL && outside != NULL &&
			  strcmp(inside, outside) == 0,
			  "%s: the command is in %s, its caller in %s; the "
			  "skeleton asks for no new namespace. See "
			  "chapters/00-skeleton.", types[i], inside, outside);
	}
}

Test(skeleton, command_is_its_child)
{
	struct run r;

	sandbox_run(&r, program_under_test("skeleton"), NULL, probe);
	expect_probe_ran(&r);
	const char *self = run_task(&r, "skeleton");
	const char *ppid = run_get(&r, "inside", "ppid");

	cr_expect(self != NULL && ppid != NULL && strcmp(self, ppid) == 0,
		  "the command's parent is PID %s; expected the skeleton, PID "
		  "%s: clone() makes a child, it does not replace the caller.",
		  ppid, self);
}
