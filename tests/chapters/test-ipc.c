/*
 * test-ipc.c: chapter 4, the IPC namespace.
 *
 * The observer creates a System V message queue with key 0x0b5e0001 (what
 * `ipcmk -Q` does); the probe creates one of its own inside.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/04-ipc/README.md, 4.2 \"The one change\"."

static const char *const scene[] = { "--msgq", NULL };
static const char *const probe[] = { "@probe", "--make-msgq", "--hold", NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("ipc"), scene, probe);
	expect_probe_ran(&r);
}

TestSuite(ipc, .timeout = 15);

Test(ipc, parent_queue_invisible_inside)
{
	observe();
	cr_expect(run_count(&r, "before", "msq") > 0,
		  "the observer could not create its queue");
	cr_expect(run_find(&r, "inside", "msq 0x0b5e0001 ") == NULL,
		  "inside, `ipcs -q` lists the parent's queue 0x0b5e0001 "
		  "(all: %s): the child shares its parent's IPC namespace. Did "
		  "you add CLONE_NEWIPC? " SEE, run_list(&r, "inside", "msq"));
}

Test(ipc, queue_made_inside_invisible_outside)
{
	observe();
	cr_expect(run_has(&r, "inside", "done make-msgq private"),
		  "the command could not create a queue inside: %s",
		  run_list(&r, "inside", "failed"));
	cr_expect(strcmp(run_list(&r, "before", "msq"),
			 run_list(&r, "after", "msq")) == 0,
		  "outside, the queues were [%s] and are now [%s]: a queue the "
		  "child created is in its parent's IPC namespace. " SEE,
		  run_list(&r, "before", "msq"), run_list(&r, "after", "msq"));
}

Test(ipc, ipc_namespace_differs)
{
	observe();
	expect_new_namespace(&r, "ipc", SEE);
}
