/*
 * ex-mount.c: the exercises of chapter 2, the mount namespace.
 *
 * Both run on a shared "/" (--rshared), as on a systemd machine, so that a
 * mount that leaks out is seen, with a folder of the parent's, /tmp/data,
 * holding a file "hello" and a submount, /tmp/data/sub, holding another.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "exercise.h"

#define SEE_TMP "See 2.6 \"Exercises\", A /tmp of its own (chapters/02-mount/exercises.md)."
#define SEE_VOL "See 2.6 \"Exercises\", A read-only volume (chapters/02-mount/exercises.md)."
#define SEE_PRIVATE "See chapters/02-mount/README.md, 2.4 \"Why it works\"."
#define SEE_NEWNS "See chapters/02-mount/README.md, 2.2 \"The one change\"."

static struct run r;

TestSuite(private_tmp, .timeout = 15);

/* Runs the program with the probe reading the parent's file in /tmp and
 * leaving one of its own. */
static void observe_tmp(void)
{
	static const char *const scene[] = { "--rshared", "--data", "/tmp/data",
					     "--check-file", "/tmp/scratch",
					     NULL };
	static const char *const args[] = { "@probe", "--read", "/tmp/data/hello",
					    "--write", "/tmp/scratch", "--hold",
					    NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_TMP);
	cr_assert(ex_new_namespace(&r, "mnt"),
		  "the command runs in its parent's mount namespace: whatever "
		  "it mounts, its parent sees. Keep CLONE_NEWNS. " SEE_NEWNS);
}

Test(private_tmp, parent_files_hidden_inside)
{
	observe_tmp();
	cr_expect(run_find(&r, "inside", "failed read /tmp/data/hello: ") != NULL,
		  "inside, the command could read /tmp/data/hello, a file its "
		  "parent keeps in /tmp: its /tmp is still the parent's. Mount "
		  "a fresh tmpfs on /tmp in the child. " SEE_TMP);
}

Test(private_tmp, files_left_in_tmp_vanish)
{
	observe_tmp();
	cr_expect(run_has(&r, "inside", "done write /tmp/scratch"),
		  "inside, the command could not write to /tmp: %s. /tmp must "
		  "be writable by all (mode 1777). " SEE_TMP,
		  ex_list(&r, "inside", "failed"));
	cr_expect(run_has(&r, "after", "file /tmp/scratch present") == false,
		  "outside, once the command has ended, /tmp/scratch, which "
		  "it wrote, is still there: it wrote to its parent's /tmp. "
		  SEE_TMP);
}

Test(private_tmp, new_tmp_stays_inside)
{
	observe_tmp();
	cr_expect(ex_count(&r, "inside", "mount /tmp tmpfs ") >
		  ex_count(&r, "before", "mount /tmp tmpfs "),
		  "inside, the mounts on /tmp are the parent's alone (%s): no "
		  "new tmpfs was mounted there. " SEE_TMP,
		  ex_list(&r, "inside", "mount"));
	cr_expect(strcmp(run_list(&r, "before", "mount"),
			 run_list(&r, "after", "mount")) == 0,
		  "outside, once the command has ended, the parent's mount "
		  "table holds mounts it did not have before: %s. The child's "
		  "tmpfs appeared in its parent's mount table: on a shared "
		  "\"/\" a new mount travels back to the parent unless the "
		  "child makes its tree private first (MS_REC | MS_PRIVATE). "
		  SEE_PRIVATE, ex_added(&r, "mount"));
}

TestSuite(volume, .timeout = 15);

/* Runs the program with /tmp/data as a volume on /data; the probe reads
 * and writes there, and in the submount. */
static void observe_volume(void)
{
	static const char *const scene[] = { "--rshared", "--data", "/tmp/data",
					     NULL };
	static const char *const args[] = { "-v", "/tmp/data:/data", "@probe",
					    "--read", "/data/hello", "--write",
					    "/data/new", "--read", "/data/sub/hello",
					    "--write", "/data/sub/new", "--hold",
					    NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_VOL);
}

Test(volume, volume_readable_inside)
{
	observe_volume();
	cr_expect(run_has(&r, "inside", "done read /data/hello"),
		  "inside, `cat /data/hello` failed (%s): /tmp/data is not "
		  "bound on /data. " SEE_VOL, ex_list(&r, "inside", "failed"));
}

Test(volume, volume_read_only_inside)
{
	observe_volume();
	cr_expect(run_has(&r, "inside",
			  "failed write /data/new: Read-only file system"),
		  "inside, writing /data/new did not fail with \"Read-only "
		  "file system\" (%s). mount() ignores MS_RDONLY when it makes "
		  "a bind mount: remount it with MS_REMOUNT | MS_BIND | "
		  "MS_RDONLY. " SEE_VOL,
		  run_has(&r, "inside", "done write /data/new") ?
		  "it succeeded" : ex_list(&r, "inside", "failed"));
}

Test(volume, submount_read_only_inside)
{
	observe_volume();
	cr_expect(run_has(&r, "inside", "done read /data/sub/hello"),
		  "inside, /data/sub/hello cannot be read (%s): /tmp/data/sub, "
		  "a mount inside the volume, did not come with it. Bind with "
		  "MS_BIND | MS_REC. " SEE_VOL, ex_list(&r, "inside", "failed"));
	cr_expect(run_has(&r, "inside",
			  "failed write /data/sub/new: Read-only file system"),
		  "inside, writing /data/sub/new, in a mount inside the "
		  "volume, did not fail with \"Read-only file system\" (%s): "
		  "the volume is read-only but its submounts are not. A "
		  "remount changes one mount only; mount_setattr() with "
		  "AT_RECURSIVE and MOUNT_ATTR_RDONLY changes the whole tree. "
		  SEE_VOL, run_has(&r, "inside", "done write /data/sub/new") ?
		  "it succeeded" : ex_list(&r, "inside", "failed"));
}

Test(volume, source_stays_writable_outside)
{
	observe_volume();
	cr_expect(run_has(&r, "inside", "done read /data/hello"),
		  "inside, /data/hello cannot be read: no volume to check. "
		  SEE_VOL);
	cr_expect(run_has(&r, "after", "data /tmp/data writable"),
		  "outside, once the command has ended, /tmp/data can no "
		  "longer be written (%s): the remount made the whole file "
		  "system read-only, for everyone. Remount with MS_BIND, which "
		  "changes only that one mount. " SEE_VOL,
		  ex_get(&r, "after", "data"));
	cr_expect(run_has(&r, "after", "data /tmp/data/sub writable"),
		  "outside, once the command has ended, /tmp/data/sub can no "
		  "longer be written (%s): the change reached the parent's "
		  "own mount. Change the flags of the mounts under /data "
		  "only. " SEE_VOL, ex_list(&r, "after", "data"));
	cr_expect(run_find(&r, "after", "mount /data ") == NULL,
		  "outside, once the command has ended, /data is still "
		  "mounted: the volume leaked to the parent. Make the tree "
		  "private first (MS_REC | MS_PRIVATE). " SEE_PRIVATE);
}
