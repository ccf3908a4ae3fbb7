/*
 * test-pid.c: chapter 5, the PID namespace and its /proc.
 *
 * The observer makes every mount shared, as systemd does.  The probe reports,
 * then detaches whatever is mounted on /proc where it runs: harmless in a
 * private mount namespace of the child's own, fatal to the parent's view
 * otherwise.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE_CHANGE "See chapters/05-pid/README.md, 5.2 \"The one change\"."
#define SEE_PROC "See chapters/05-pid/README.md, 5.4 \"Why it works\"."

static const char *const scene[] = { "--rshared", NULL };
static const char *const probe[] = { "@probe", "--umount", "/proc", "--hold",
				     NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("pid"), scene, probe);
	expect_probe_ran(&r);
}

TestSuite(pid, .timeout = 15);

Test(pid, command_is_pid_1)
{
	observe();
	const char *pid = run_get(&r, "inside", "pid");

	cr_expect(pid != NULL && strcmp(pid, "1") == 0,
		  "inside, the command's PID is %s; expected 1, the first "
		  "process of a new PID namespace. Did you add CLONE_NEWPID? "
		  SEE_CHANGE, pid);
}

Test(pid, ps_shows_only_its_namespace)
{
	observe();
	cr_expect(run_count(&r, "inside", "proc") == 1 &&
		  run_has(&r, "inside", "proc 1 probe"),
		  "inside, /proc lists: %s; expected the command alone, as "
		  "PID 1. /proc shows the PID namespace of whoever mounted it: "
		  "mount a fresh proc on /proc in the child. " SEE_PROC,
		  run_list(&r, "inside", "proc"));
}

Test(pid, outside_sees_an_ordinary_pid)
{
	observe();
	const char *inside = run_get(&r, "inside", "pid");
	const char *outside = run_task(&r, "probe");

	cr_expect(inside != NULL && strcmp(inside, "1") == 0 &&
		  outside != NULL && strcmp(outside, "1") != 0,
		  "the command is PID %s inside and PID %s outside; expected "
		  "1 inside and an ordinary PID outside. " SEE_CHANGE,
		  inside, outside);
}

Test(pid, proc_is_private_inside)
{
	observe();
	const char *proc = run_find(&r, "inside", "mount /proc proc ");

	cr_expect(proc != NULL && strstr(proc, " private") != NULL,
		  "inside, /proc is `%s`; expected a private mount. A proc "
		  "mounted where / is still shared with the parent is mounted "
		  "in the parent too: make / private (MS_REC | MS_PRIVATE) "
		  "before mounting. " SEE_PROC, proc);
}

Test(pid, parent_proc_untouched)
{
	observe();
	const char *self = run_get(&r, "after", "pid");
	char line[64];

	snprintf(line, sizeof(line), "proc %s observer", self ? self : "?");
	cr_expect(run_find(&r, "after", "mount /proc proc ") != NULL &&
		  run_has(&r, "after", line),
		  "outside, once the child has exited, /proc is gone or no "
		  "longer lists the parent (mounts: %s). The child changed "
		  "its parent's /proc: give it a mount namespace of its own, "
		  "made private, before touching /proc. " SEE_PROC,
		  run_list(&r, "after", "mount"));
}

Test(pid, pid_namespace_differs)
{
	observe();
	expect_new_namespace(&r, "pid", SEE_CHANGE);
}
