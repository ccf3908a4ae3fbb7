/*
 * ex-rootfs.c: the exercises of chapter 7, a root file system of its own.
 *
 * Every run has an image at /image/busybox, where a program copied in as
 * /box/NAME looks for the workbook's (bin/../image/busybox), a marker beside
 * it, and a shared "/"; the observer reports the image's checksum before
 * and after (image.h).  read_only: the probe writes to the image and to
 * /tmp.  layers: the probe writes to the image, with and without --keep,
 * and in two runs at once (--twin), which meet once both have written.
 * no_way_out: the escape climbs out with chroot() and chdir(".."), first
 * from the chapter's chroot() mutant, to show that it can, then from the
 * program.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "exercise.h"

#define IMAGE "/image/busybox"
#define MARKER "/image/marker"
#define SEE_RO "See 7.6 \"Exercises\", A read-only root (chapters/07-rootfs/exercises.md)."
#define SEE_LAYERS "See 7.6 \"Exercises\", Layers (chapters/07-rootfs/exercises.md)."
#define SEE_OUT "See 7.6 \"Exercises\", No way out (chapters/07-rootfs/exercises.md)."
#define SEE_DETACH "See chapters/07-rootfs/README.md, 7.4 \"Why it works\"."

static struct run r;

/* Returns true if the image's sum after the run is the one before. */
static bool image_unchanged(void)
{
	const char *before = run_get(&r, "before", "image " IMAGE " sum");
	const char *after = run_get(&r, "after", "image " IMAGE " sum");

	return before != NULL && after != NULL && strcmp(before, after) == 0;
}

/* Returns true if the probe's "/" is the image, by device and inode. */
static bool root_is_the_image(void)
{
	const char *image = run_get(&r, "before", "image " IMAGE);
	const char *inside = run_get(&r, "inside", "stat /");
	char want[128];

	snprintf(want, sizeof(want), "%s dir", image ? image : "?");
	return inside != NULL && strcmp(inside, want) == 0;
}

/* The sandbox's own mounts, in the old root only: the image has no /usr
 * or /etc mounted. */
static const char *const machine_only[] = { "usr", "etc", NULL };

/* Returns how many lines "KEY ..." of section show one of them. */
static int old_mounts(const char *section, const char *key)
{
	return run_count_mounts_named(&r, section, key, machine_only);
}

TestSuite(read_only, .timeout = 15);

/* Runs the program; the probe writes to the image and to /tmp. */
static void observe_read_only(void)
{
	static const char *const scene[] = { "--rshared", "--image", IMAGE,
					     "--data", "/image/other", NULL };
	static const char *const args[] = { "@probe", "--stat", "/", "--write",
					    "/etc/x", "--write", "/x", "--write",
					    "/tmp/x", "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_RO);
	cr_assert(root_is_the_image(),
		  "inside, / is %s, not the image " IMAGE " (%s): keep the "
		  "steps of rootfs.c. " SEE_RO, ex_get(&r, "inside", "stat /"),
		  ex_get(&r, "before", "image " IMAGE));
}

Test(read_only, root_is_read_only)
{
	observe_read_only();
	cr_expect(run_has(&r, "inside", "failed write /etc/x: Read-only file system") &&
		  run_has(&r, "inside", "failed write /x: Read-only file system"),
		  "inside, writing /etc/x and /x did not both fail with "
		  "\"Read-only file system\" (%s). Remount / with MS_REMOUNT | "
		  "MS_BIND | MS_RDONLY once it is the image. " SEE_RO,
		  run_find(&r, "inside", "done write /etc") ? "/etc/x was written"
		  : ex_list(&r, "inside", "failed"));
	cr_expect(run_has(&r, "after", "data /image/other writable"),
		  "outside, once the command has ended, the file system the "
		  "image is on can no longer be written (%s): the remount made "
		  "all of it read-only, for everyone. MS_BIND makes it change "
		  "the one mount. " SEE_RO, ex_get(&r, "after", "data"));
}

Test(read_only, tmp_is_writable)
{
	observe_read_only();
	cr_expect(run_has(&r, "inside", "done write /tmp/x"),
		  "inside, the command could not write /tmp/x: %s. /tmp must be "
		  "writable by all (a tmpfs, mode 1777). " SEE_RO,
		  ex_list(&r, "inside", "failed"));
	cr_expect(run_find(&r, "inside", "mount /tmp tmpfs ") != NULL,
		  "inside, /tmp is the image's own folder, not a tmpfs of the "
		  "command's: what it writes there stays in the image. Mount a "
		  "tmpfs on /tmp. " SEE_RO);
	cr_expect(image_unchanged(),
		  "outside, once the command has ended, the image has changed: "
		  "the command's writes went into it. " SEE_RO);
}

TestSuite(layers, .timeout = 15);

/* Runs the program with opts before the probe, which writes to the image;
 * scene adds to the image's. */
static void observe_layers(const char *const scene[], const char *const opts[])
{
	const char *on[8] = { "--rshared", "--image", IMAGE };
	const char *args[16];
	int n = 0, m = 3;

	for (int i = 0; scene != NULL && scene[i] != NULL && m < 7; i++)
		on[m++] = scene[i];
	for (int i = 0; opts != NULL && opts[i] != NULL; i++)
		args[n++] = opts[i];
	for (const char *const *a = (const char *const[]){ "@probe", "--write",
		"/etc/x", "--write", "/x", "--hold", NULL }; *a != NULL; a++)
		args[n++] = *a;
	args[n] = NULL;
	ex_run(&r, on, args);
	ex_expect_ran(&r, SEE_LAYERS);
	cr_assert(run_has(&r, "inside", "done write /etc/x") &&
		  run_has(&r, "inside", "done write /x"),
		  "inside, the command could not write to /: %s. The upper "
		  "layer takes the writes. " SEE_LAYERS,
		  ex_list(&r, "inside", "failed"));
}

Test(layers, writes_land_in_the_upper_layer)
{
	observe_layers((const char *const[]){ "--check-file", "/tmp/keep/upper/etc/x",
					      "--check-file", "/tmp/keep/upper/x",
					      NULL },
		       (const char *const[]){ "--keep", "/tmp/keep", NULL });
	cr_expect(run_find(&r, "inside", "mount / overlay ") != NULL,
		  "inside, / is no overlay (mounts: %s). " SEE_LAYERS,
		  ex_list(&r, "inside", "mount"));
	cr_expect(run_has(&r, "after", "file /tmp/keep/upper/etc/x present") &&
		  run_has(&r, "after", "file /tmp/keep/upper/x present"),
		  "with --keep /tmp/keep, once the command has ended, what it "
		  "wrote to /etc/x and /x is not in /tmp/keep/upper (%s). "
		  SEE_LAYERS, ex_list(&r, "after", "file"));
	cr_expect(image_unchanged(),
		  "outside, once the command has ended, the image has changed: "
		  "the writes went into it, not into the upper layer. "
		  SEE_LAYERS);
}

Test(layers, image_unchanged_by_writes)
{
	observe_layers(NULL, NULL);
	cr_expect(image_unchanged(),
		  "outside, once the command has ended, the image has changed: "
		  "the command's writes went into it. Without --keep, a fresh "
		  "upper layer takes them. " SEE_LAYERS);
	cr_expect(strcmp(run_list(&r, "before", "mount"),
			 run_list(&r, "after", "mount")) == 0,
		  "outside, once the command has ended, the mount table holds "
		  "mounts it did not have before: %s. " SEE_LAYERS,
		  ex_added(&r, "mount"));
}

/* Returns how many lines of section, after prefix (the twin's are marked
 * "| "), are "entry / own-..."; own gets the name that the probe said it
 * wrote, or "". */
static int own_entries(const char *section, const char *prefix, char own[64])
{
	static const char entry[] = "entry / own-";
	size_t k = strlen(prefix);
	int n = 0;

	own[0] = '\0';
	for (size_t i = 0; i < r.nlines; i++) {
		const char *line = r.lines[i].text;

		if (strcmp(r.lines[i].section, section) != 0 ||
		    strncmp(line, prefix, k) != 0)
			continue;
		if (sscanf(line + k, "own %63s", own) != 1)
			n += strncmp(line + k, entry, sizeof(entry) - 1) == 0;
	}
	return n;
}

Test(layers, two_runs_at_once)
{
	static const char *const scene[] = { "--rshared", "--image", IMAGE,
					     "--twin", NULL };
	static const char *const args[] = { "@probe", "--write-own", "/",
					    "--meet", "twins", "--list", "/",
					    NULL };
	char one[64], two[64];
	int seen_one, seen_two;

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_LAYERS);
	seen_one = own_entries("inside", "", one);
	seen_two = own_entries("twin", "| ", two);
	cr_assert(run_has(&r, "inside", "done meet twins") &&
		  run_has(&r, "twin", "| done meet twins"),
		  "two runs of the program, started at once, did not both run "
		  "their commands to the end (the first: %s; the second: %s). "
		  "Runs of the same image must not stand in each other's way. "
		  SEE_LAYERS, ex_list(&r, "inside", "failed"),
		  ex_list(&r, "twin", "| failed"));
	cr_expect(one[0] != '\0' && two[0] != '\0' && strcmp(one, two) != 0 &&
		  seen_one == 1 && seen_two == 1,
		  "two runs at once each wrote a file to / (%s and %s), then "
		  "looked: the first saw %d such files, the second %d; each "
		  "must see its own only, in an upper layer of its own. "
		  SEE_LAYERS, ex_clean(one), ex_clean(two), seen_one, seen_two);
	cr_expect(image_unchanged(),
		  "outside, once both runs had ended, the image had changed: "
		  "their writes went into it. " SEE_LAYERS);
}

TestSuite(no_way_out, .timeout = 15);

/* Runs program with the escape; fails unless it ran to its end. */
static void run_escape(const char *program, const char *what)
{
	static const char *const scene[] = { "--rshared", "--image", IMAGE, NULL };
	static const char *const args[] = { "@escape", MARKER, NULL };

	sandbox_run(&r, program, scene, args);
	cr_assert(run_limit(&r) == NULL && r.observed && r.exit_code == 0 &&
		  run_find(&r, "output", "escape root holds") != NULL,
		  "%s did not run the escape to its end (exit %d; %s): %s",
		  what, r.exit_code, ex_clean(run_limit(&r)),
		  ex_clean(r.err));
}

Test(no_way_out, escape_is_held)
{
	const char *image, *reached;

	/* First, that the escape gets out of a chroot(): else this test
	 * would prove nothing. */
	run_escape(TOOLS_DIR "/mutant-rootfs-chroot", "the chroot() version");
	cr_assert(run_has(&r, "output", "escape marker " MARKER " present"),
		  "the test itself is broken: the escape did not get out of the "
		  "chroot() version (%s)", ex_list(&r, "output", "escape"));

	ex_run(&r, (const char *const[]){ "--rshared", "--image", IMAGE, NULL },
	       (const char *const[]){ "@escape", MARKER, NULL });
	cr_assert(run_limit(&r) == NULL && r.observed,
		  "the program did not run the escape to its end: %s It said:\n%s",
		  ex_clean(run_limit(&r)), ex_clean(r.err));
	image = run_get(&r, "before", "image " IMAGE " holds");
	reached = run_get(&r, "output", "escape root holds");
	cr_expect(reached != NULL && image != NULL && strcmp(reached, image) == 0 &&
		  run_has(&r, "output", "escape marker " MARKER " absent"),
		  "a command that calls chroot(\"/dev\"), then chdir(\"..\") 64 "
		  "times, then chroot(\".\"), got out: it ended in a root that "
		  "holds %s, not the image, which holds %s; and %s " MARKER ", a "
		  "file beside the image. chroot() leaves the machine's root in the namespace: "
		  "pivot_root(), then detach the old root. " SEE_OUT,
		  ex_clean(reached), ex_clean(image),
		  run_has(&r, "output", "escape marker " MARKER " present") ?
		  "could read" : "could not read");
}

Test(no_way_out, old_root_is_gone)
{
	static const char *const scene[] = { "--rshared", "--image", IMAGE, NULL };
	static const char *const args[] = { "@probe", "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_OUT);
	cr_expect(run_count(&r, "during", "nsmount") > 0 &&
		  old_mounts("during", "nsmount") == 0 &&
		  old_mounts("inside", "mount") == 0,
		  "the command's mount namespace, entered from outside, still "
		  "holds the old root: %s. Detach it with umount2(MNT_DETACH) "
		  "once the image is \"/\". " SEE_DETACH,
		  ex_list(&r, "during", "nsmount"));
	cr_expect(image_unchanged(),
		  "outside, once the command has ended, the image has changed: "
		  "the folder of the old root is still in it? Remove it once "
		  "the old root is detached. " SEE_OUT);
}
