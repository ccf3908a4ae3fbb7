/*
 * test-mount.c: chapter 2, the mount namespace.
 *
 * The observer makes every mount shared, as systemd does, so that a mount
 * that leaks out of the child is seen; the probe mounts a tmpfs of its own.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE_CHANGE "See chapters/02-mount/README.md, 2.2 \"The one change\"."
#define SEE_PRIVATE "See chapters/02-mount/README.md, 2.4 \"Why it works\"."

static const char *const scene[] = { "--rshared", NULL };
static const char *const probe[] = { "@probe", "--mount-tmpfs", "/probe-mnt",
				     "--hold", NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("mount"), scene, probe);
	expect_probe_ran(&r);
}

TestSuite(mount, .timeout = 15);

Test(mount, mytmp_is_a_tmpfs_inside)
{
	observe();
	cr_expect(run_find(&r, "inside", "mount /mytmp tmpfs ") != NULL,
		  "inside, nothing is mounted on /mytmp; expected a tmpfs. "
		  SEE_CHANGE);
}

Test(mount, mounts_made_inside_stay_inside)
{
	observe();
	cr_expect(run_has(&r, "inside", "done mount-tmpfs /probe-mnt"),
		  "the command could not mount a tmpfs inside: %s",
		  run_list(&r, "inside", "failed"));
	cr_expect(run_find(&r, "after", "mount /mytmp ") == NULL &&
		  run_find(&r, "after", "mount /probe-mnt ") == NULL,
		  "outside, once the child has exited, the mount table holds "
		  "mounts made inside it: %s. With a shared / (as on every "
		  "systemd machine), a mount namespace alone does not keep "
		  "mounts in: make / private first (MS_REC | MS_PRIVATE). "
		  SEE_PRIVATE, run_list(&r, "after", "mount"));
	cr_expect(strcmp(run_list(&r, "before", "mount"),
			 run_list(&r, "after", "mount")) == 0,
		  "the sandbox's mount table changed.\nbefore: %s\nafter:  %s",
		  run_list(&r, "before", "mount"),
		  run_list(&r, "after", "mount"));
}

Test(mount, root_is_private_inside)
{
	observe();
	const char *root = run_find(&r, "inside", "mount / ");

	cr_expect(root != NULL && strstr(root, " private") != NULL,
		  "inside, / is `%s`; expected private, so that no mount or "
		  "unmount travels between the child and its parent. "
		  SEE_PRIVATE, root);
}

Test(mount, mount_namespace_differs)
{
	observe();
	expect_new_namespace(&r, "mnt", SEE_CHANGE);
}
