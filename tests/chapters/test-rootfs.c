/*
 * test-rootfs.c: chapter 7, a root file system of its own.
 *
 * The observer makes an image at /image/busybox (image.h), where rootfs,
 * copied in as /box/rootfs, looks for the workbook's (bin/../image/busybox),
 * with a file /image/marker beside it, and makes every mount shared, as
 * systemd does.  It reports the image's inode and checksum before and
 * after, and, while the probe holds, the mounts of the probe's namespace
 * seen from the namespace's own root.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define IMAGE "/image/busybox"
#define MARKER "/image/marker"
#define SEE_CHANGE "See chapters/07-rootfs/README.md, 7.2 \"The one change\"."
#define SEE_WHY "See chapters/07-rootfs/README.md, 7.4 \"Why it works\"."
#define SEE_TRAPS "See chapters/07-rootfs/README.md, 7.5 \"Traps\"."

static const char *const scene[] = { "--rshared", "--image", IMAGE, NULL };

static struct run r;

/* What the probe does inside, the same in every test, so that tests share
 * one run (SANDBOX_CACHE): looks at "/", tries the marker and every device,
 * then holds while the observer looks at it. */
static const char *const probe[] = {
	"@probe", "--stat", "/", "--read", MARKER, "--write", "/dev/null",
	"--read", "/dev/zero", "--read", "/dev/urandom", "--read", "/dev/random",
	"--write", "/dev/full", "--stat", "/dev/tty", "--stat", "/dev/stdout",
	"--stat", "/dev/fd", "--hold", NULL,
};

/* Runs the program under test with the probe; checks that the probe ran
 * unless only_run. */
static void run_probe(bool only_run)
{
	sandbox_run(&r, program_under_test("rootfs"), scene, probe);
	if (!only_run)
		expect_probe_ran(&r);
}

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	run_probe(false);
}

/* Returns the image's "MAJOR:MINOR INODE", as the observer saw it before. */
static const char *image_id(const char *dir)
{
	static char key[64];
	const char *v;

	snprintf(key, sizeof(key), "image %s", dir);
	v = run_get(&r, "before", key);
	return v != NULL && strchr(v, ':') != NULL ? v : "(none)";
}

/* Returns true if the probe's "/" is the image at dir. */
static bool root_is(const char *dir)
{
	const char *inside = run_get(&r, "inside", "stat /");
	char want[128];

	snprintf(want, sizeof(want), "%s dir", image_id(dir));
	return inside != NULL && strcmp(inside, want) == 0;
}

/* Fails the test unless the probe's "/" is the image. */
static void expect_root_is_the_image(void)
{
	cr_expect(root_is(IMAGE),
		  "inside, / is %s; expected the image " IMAGE " (%s). Bind "
		  "the image on itself, then pivot_root() into it. " SEE_CHANGE,
		  run_get(&r, "inside", "stat /"), image_id(IMAGE));
}

/* The sandbox's own mounts, in the old root only: the image has no /usr
 * or /etc mounted. */
static const char *const machine_only[] = { "usr", "etc", NULL };

/* Returns how many lines "KEY ..." of section show one of them. */
static int old_mounts(const char *section, const char *key)
{
	return run_count_mounts_named(&r, section, key, machine_only);
}

TestSuite(rootfs, .timeout = 15);

Test(rootfs, root_is_the_image)
{
	observe();
	expect_root_is_the_image();
	cr_expect(run_has(&r, "inside", "failed read " MARKER
			  ": No such file or directory"),
		  "inside, " MARKER ", a file beside the image, could be read "
		  "(%s): the command still sees the machine's files. " SEE_WHY,
		  run_find(&r, "inside", "done read"));
}

Test(rootfs, root_option_names_the_image)
{
	static const char *const other[] = { "--image", "/srv/other", NULL };

	sandbox_run(&r, program_under_test("rootfs"), other,
		    (const char *const[]){ "--root", "/srv/other", "@probe",
					   "--stat", "/", NULL });
	expect_probe_ran(&r);
	cr_expect(root_is("/srv/other"),
		  "with --root /srv/other, / inside is %s; expected that "
		  "folder (%s). " SEE_CHANGE, run_get(&r, "inside", "stat /"),
		  image_id("/srv/other"));
}

Test(rootfs, old_root_is_gone)
{
	observe();
	expect_root_is_the_image();
	cr_expect(run_count(&r, "inside", "mount") > 0 &&
		  old_mounts("inside", "mount") == 0 &&
		  run_count(&r, "inside", "mount /") == 1,
		  "inside, /proc/self/mountinfo still lists the old root's "
		  "mounts: %s. Detach it with umount2(MNT_DETACH) once the "
		  "image is \"/\". " SEE_WHY, run_list(&r, "inside", "mount"));
	/* chroot() hides the old root from mountinfo, not from the namespace:
	 * entered from outside, its root is the namespace's own. */
	cr_expect(run_count(&r, "during", "nsmount") > 0 &&
		  old_mounts("during", "nsmount") == 0,
		  "the command's mount namespace, entered from outside, still "
		  "holds the old root: %s. " SEE_WHY,
		  run_list(&r, "during", "nsmount"));
}

Test(rootfs, proc_shows_the_new_namespace)
{
	observe();
	expect_root_is_the_image();
	cr_expect(run_count(&r, "inside", "proc") == 1 &&
		  run_has(&r, "inside", "proc 1 probe") &&
		  run_find(&r, "inside", "mount /proc proc ") != NULL,
		  "inside, /proc lists: %s; expected the command alone, as "
		  "PID 1, in a proc mounted on the image's /proc. " SEE_CHANGE,
		  run_list(&r, "inside", "proc"));
}

Test(rootfs, dev_nodes_work)
{
	observe();
	expect_root_is_the_image();
	cr_expect(run_find(&r, "inside", "mount /dev tmpfs ") != NULL,
		  "inside, no tmpfs is mounted on /dev (mounts: %s). "
		  SEE_CHANGE, run_list(&r, "inside", "mount"));
	cr_expect(run_has(&r, "inside", "done write /dev/null") &&
		  run_has(&r, "inside", "done read /dev/zero") &&
		  run_has(&r, "inside", "done read /dev/urandom") &&
		  run_has(&r, "inside", "done read /dev/random") &&
		  run_has(&r, "inside", "failed write /dev/full: No space "
			  "left on device"),
		  "inside, the device nodes do not all work: %s. They are the "
		  "host's, bound on empty files (a user namespace may not "
		  "mknod). " SEE_TRAPS, run_list(&r, "inside", "failed"));
	cr_expect(run_find(&r, "inside", "stat /dev/tty ") != NULL &&
		  strstr(run_find(&r, "inside", "stat /dev/tty "), " char") &&
		  run_find(&r, "inside", "stat /dev/stdout ") != NULL &&
		  run_find(&r, "inside", "stat /dev/fd ") != NULL,
		  "inside, /dev/tty, /dev/stdout or /dev/fd is missing: %s. "
		  SEE_CHANGE, run_list(&r, "inside", "failed"));
}

Test(rootfs, mounts_stay_inside)
{
	/* The mount table first: a program that failed may have leaked. */
	run_probe(true);
	cr_expect(strcmp(run_list(&r, "before", "mount"),
			 run_list(&r, "after", "mount")) == 0,
		  "outside, once the command has ended, the sandbox's mount "
		  "table has changed:\nbefore: %s\nafter:  %s\nOn a shared / "
		  "every mount of the child's travels back: make / private "
		  "(MS_REC | MS_PRIVATE) first. " SEE_TRAPS,
		  run_list(&r, "before", "mount"), run_list(&r, "after", "mount"));
	expect_probe_ran(&r);
	expect_root_is_the_image();
}

Test(rootfs, image_left_as_it_was)
{
	observe();
	expect_root_is_the_image();
	cr_expect(run_get(&r, "after", "image " IMAGE " sum") != NULL &&
		  strcmp(run_list(&r, "before", "image " IMAGE " sum"),
			 run_list(&r, "after", "image " IMAGE " sum")) == 0,
		  "outside, once the command has ended, the image has "
		  "changed (its sum was %s, is %s): the program wrote into it. "
		  "Its /dev is a tmpfs of the child's, and the old root needs "
		  "no folder there. " SEE_WHY,
		  run_list(&r, "before", "image " IMAGE " sum"),
		  run_list(&r, "after", "image " IMAGE " sum"));
}

Test(rootfs, no_way_up)
{
	const char *reached, *image;

	sandbox_run(&r, program_under_test("rootfs"), scene,
		    (const char *const[]){ "@escape", MARKER, NULL });
	cr_assert(r.observed && r.exit_code == 0,
		  "the escape did not run to its end (exit %d): %s%s",
		  r.exit_code, run_list(&r, "output", "escape"), r.err);
	reached = run_get(&r, "output", "escape root holds");
	image = run_get(&r, "before", "image " IMAGE " holds");
	cr_expect(reached != NULL && image != NULL && strcmp(reached, image) == 0 &&
		  run_has(&r, "output", "escape marker " MARKER " absent"),
		  "a program inside walked out with chroot(\"/dev\") and "
		  "chdir(\"..\"): it reached a root that holds %s, not the "
		  "image, which holds %s; and %s. chroot() changes where \"/\" "
		  "is, not what can be reached: pivot_root(), then detach the "
		  "old root. " SEE_WHY, reached, image,
		  run_has(&r, "output", "escape marker " MARKER " present") ?
		  "could read " MARKER " there" : "found no marker");
}

Test(rootfs, namespaces_differ)
{
	observe();
	expect_new_namespace(&r, "mnt", SEE_CHANGE);
	expect_new_namespace(&r, "pid", SEE_CHANGE);
}
