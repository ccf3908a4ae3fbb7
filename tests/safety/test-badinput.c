/*
 * test-badinput.c: what every program of the workbook does with bad input
 * and a machine that refuses it.
 *
 * Runs against $PROGRAM (default: the skeleton), named after one of the
 * worked programs.  Where a step fails, the program must say so in one line
 * that names the call and the reason, and exit non-zero: never crash, never
 * succeed without running its command.  The contract (test-contract.c)
 * covers a missing command, an unknown option and a command that does not
 * exist; the over-long hostname belongs to the uts exercise (ex-uts.c).
 * Chapter 7's program runs its command in an image: every sandbox holds one
 * where it looks by default, and it is given roots that cannot serve.
 * Chapter 8's takes limits, which must parse and make sense, and needs a
 * cgroup: its tests that run a command skip where the sandbox gets none.
 * Chapter 10's program keeps the capabilities --keep names: it is given
 * one that does not exist.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/00-skeleton/README.md, 0.3 \"The contract\"."

/* What each worked program does before it runs its command. */
static const struct program {
	const char *name;
	bool needs_privilege;	/* a CLONE_NEW* flag other than CLONE_NEWUSER */
	bool makes_mytmp;	/* mkdir /mytmp, then a tmpfs on it */
	bool mounts_proc;	/* a fresh proc on /proc */
	bool takes_root;	/* --root DIR, an image to run the command in */
	bool wires_host;	/* a veth pair in the namespace it starts in */
	bool takes_limits;	/* --memory, --pids, --cpu, in a cgroup of its own */
	bool keeps_caps;	/* --keep CAP,...: capabilities to keep */
	bool maps_root;		/* a user namespace whose root is the caller */
} programs[] = {
	{ "skeleton", false, false, false, false, false, false, false, false },
	{ "net", true, false, false, false, false, false, false, false },
	{ "mount", true, true, false, false, false, false, false, false },
	{ "uts", true, false, false, false, false, false, false, false },
	{ "ipc", true, false, false, false, false, false, false, false },
	{ "pid", true, false, true, false, false, false, false, false },
	{ "user", false, false, false, false, false, false, false, false },
	{ "rootfs", true, false, true, true, false, false, false, false },
	{ "cgroup", true, false, true, false, false, true, false, false },
	{ "network", true, false, false, false, true, false, false, false },
	{ "privileges", false, false, true, true, false, false, true, true },
};

static struct run r;

/* Returns the entry for the program under test; fails if it is none of the
 * worked programs, whose steps this suite knows. */
static const struct program *under_test(void)
{
	char *path = strdup(program_under_test("skeleton"));
	const char *name = basename(path);

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (strcmp(programs[i].name, name) == 0)
			return &programs[i];
	cr_assert_fail("%s is not one of the worked programs", name);
	return NULL;
}

/* Runs the program under test on scene with args, in a sandbox that holds
 * the image (unless scene makes one). */
static void run_with(const char *const scene[], const char *const args[])
{
	const char *with_image[12] = { "--image", "/image/busybox" };
	int n = 2;

	for (int i = 0; scene != NULL && scene[i] != NULL && n < 11; i++) {
		if (strcmp(scene[i], "--image") == 0)
			n = 0;	/* the scene makes its own */
	}
	for (int i = 0; scene != NULL && scene[i] != NULL && n < 11; i++)
		with_image[n++] = scene[i];
	with_image[n] = NULL;
	sandbox_run(&r, program_under_test("skeleton"), with_image, args);
	cr_assert(r.observed, "the sandbox did not finish its report; its "
		  "stderr:\n%s", r.err);
}

/* Returns the number of lines in s. */
static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Fails unless the program failed cleanly: it exited with status want, was
 * not killed, did not run its command, and said one line holding each of
 * the words. */
static void expect_clean_failure(int want, const char *what,
				 const char *const words[])
{
	cr_expect(r.signal == 0 && r.exit_code == want,
		  "%s: the program exited %d (signal %d); expected %d, "
		  "without crashing. " SEE, what, r.exit_code, r.signal, want);
	cr_expect(!r.probed, "%s: the program ran its command anyway. " SEE,
		  what);
	cr_expect(lines(r.err) == 1,
		  "%s: the program said %d lines:\n%s\nexpected one line that "
		  "names the failed call and the reason. " SEE, what,
		  lines(r.err), r.err);
	for (int i = 0; words[i] != NULL; i++)
		cr_expect(strstr(r.err, words[i]) != NULL,
			  "%s: the program said:\n%s\nexpected a line with "
			  "\"%s\". " SEE, what, r.err, words[i]);
}

/* Runs the program under test, with the probe, on scene: where a step of
 * the program's own is refused there (refused), it must fail cleanly with
 * the words; otherwise it must run its command. */
static void expect_refused_step(const char *const scene[], bool refused,
				const char *what, const char *const words[])
{
	run_with(scene, (const char *const[]){ "@probe", NULL });
	if (refused)
		expect_clean_failure(1, what, words);
	else
		cr_expect(r.exit_code == 0 && r.probed,
			  "%s, %s exited %d and said:\n%s\nnone of its steps "
			  "is refused there: it should have run its command. "
			  SEE, what, under_test()->name, r.exit_code, r.err);
}

/* Skips the test for a program that runs its command in a cgroup of its
 * own, where the sandbox gets none; but not those of what is refused
 * before any cgroup is made. */
static void need_cgroup(void)
{
	static const char *const before[] = {
		"dash_dash_alone_is_a_usage_error", "limits_that_do_not_parse",
		"zero_limits_refused", "negative_limits_refused",
		"cpu_beyond_the_machine_refused",
	};
	const char *why = sandbox_cgroup_missing();

	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++)
		if (strcmp(criterion_current_test->name, before[i]) == 0)
			return;
	if (under_test()->takes_limits && why != NULL)
		cr_skip_test("this machine gives the sandbox no cgroup: %s", why);
}

TestSuite(badinput, .init = need_cgroup, .timeout = 15);

Test(badinput, dash_dash_alone_is_a_usage_error)
{
	run_with(NULL, (const char *const[]){ "--", NULL });
	cr_expect(r.exit_code == 2 && strstr(r.err, "usage:") != NULL,
		  "with \"--\" and no command, the program exited %d and "
		  "said:\n%s\nexpected a usage line and status 2. " SEE,
		  r.exit_code, r.err);
}

Test(badinput, command_not_executable)
{
	run_with(NULL, (const char *const[]){ "/dev/null", NULL });
	expect_clean_failure(126, "a command that is not a program",
			     (const char *const[]){ "execvp /dev/null",
						    "Permission denied", NULL });
}

Test(badinput, refused_namespace_explained)
{
	expect_refused_step((const char *const[]){ "--drop-caps", NULL },
			    under_test()->needs_privilege,
			    "without capabilities",
			    (const char *const[]){
				    "clone: Operation not permitted",
				    "needs root or a user namespace", NULL });
}

Test(badinput, unwritable_mytmp)
{
	expect_refused_step((const char *const[]){ "--ro-root", NULL },
			    under_test()->makes_mytmp, "on a read-only /",
			    (const char *const[]){ "mkdir /mytmp",
						   "Read-only file system",
						   NULL });
}

/* Root of a user namespace made inside a container may make namespaces, but
 * the /proc it sees has mounts on it (the engine's) that it may not uncover,
 * and the network namespace it starts in is not its user namespace's: a
 * step after clone() fails, not clone() itself, and the hint that clone()
 * gives on EPERM would send the student the wrong way. */
Test(badinput, step_after_clone_refused)
{
	const struct program *p = under_test();

	expect_refused_step((const char *const[]){ "--mask-proc", "--userns",
						   NULL },
			    p->mounts_proc || p->wires_host,
			    "as root of a user namespace in a container",
			    p->wires_host ?
			    (const char *const[]){ "RTM_NEWLINK",
						   "Operation not permitted",
						   NULL } :
			    (const char *const[]){ "mount proc on /proc",
						   "Operation not permitted",
						   NULL });
	cr_expect(strstr(r.err, "needs root") == NULL,
		  "where clone() worked and a mount after it was refused, the "
		  "program said:\n%s\nit has what \"needs root or a user "
		  "namespace\" asks for. " SEE, r.err);
}

/* Fails unless the sandbox's mount table is as it was before the run. */
static void expect_no_mount_left(const char *what)
{
	cr_expect(strcmp(run_list(&r, "before", "mount"),
			 run_list(&r, "after", "mount")) == 0,
		  "%s: once the program had failed, the sandbox's mount table "
		  "had changed:\nbefore: %s\nafter:  %s\n" SEE, what,
		  run_list(&r, "before", "mount"), run_list(&r, "after", "mount"));
}

/* Runs the program under test with the probe on a shared "/" and on scene,
 * with "--root root" for a program that takes it: that one must fail
 * cleanly, with the words, and leave no mount behind; any other must run
 * its command. */
static void expect_bad_root(const char *const scene[], const char *root,
			    const char *what, const char *const words[])
{
	const struct program *p = under_test();
	const char *with_shared[8] = { "--rshared" };
	const char *args[4] = { "@probe" };

	for (int i = 0, n = 1; scene != NULL && scene[i] != NULL && n < 7; i++)
		with_shared[n++] = scene[i];
	if (p->takes_root && root != NULL) {
		args[0] = "--root";
		args[1] = root;
		args[2] = "@probe";
	}
	run_with(with_shared, args);
	if (!p->takes_root) {
		cr_expect(r.exit_code == 0 && r.probed,
			  "%s, %s exited %d and said:\n%s\nit takes no image: "
			  "it should have run its command. " SEE, what, p->name,
			  r.exit_code, r.err);
		return;
	}
	expect_clean_failure(1, what, words);
	expect_no_mount_left(what);
}

Test(badinput, root_missing)
{
	expect_bad_root(NULL, "/no/such/image", "with a --root that does not exist",
			(const char *const[]){ "/no/such/image",
					       "No such file or directory", NULL });
}

Test(badinput, root_is_a_file)
{
	expect_bad_root(NULL, "/etc/passwd", "with a --root that is a file",
			(const char *const[]){ "/etc/passwd", "Not a directory",
					       NULL });
}

/* As for a plain user given a folder of root's: the program may not enter.
 * A program that makes a user namespace holds every capability there over
 * the files of the ids it maps, and the folder here is the caller's (the
 * sandbox has no other uid): it enters, and fails on the empty folder. */
Test(badinput, root_unreadable)
{
	bool own_userns = under_test()->maps_root;

	expect_bad_root((const char *const[]){ "--unreadable", "/image/locked",
					       NULL },
			"/image/locked", "with a --root it may not enter",
			(const char *const[]){ "/image/locked", own_userns ?
					       "No such file or directory" :
					       "Permission denied", NULL });
}

Test(badinput, image_without_proc)
{
	expect_bad_root((const char *const[]){ "--image", "/image/busybox",
					       "--image-lacks", "proc", NULL },
			NULL, "with an image that has no /proc",
			(const char *const[]){ "mount proc on /proc",
					       "No such file or directory", NULL });
}

/* bash is in the sandbox's /usr, and not in the image. */
Test(badinput, command_missing_from_image)
{
	const struct program *p = under_test();

	run_with((const char *const[]){ "--rshared", NULL },
		 (const char *const[]){ "bash", "-c", "exit 0", NULL });
	if (!p->takes_root) {
		cr_expect(r.exit_code == 0,
			  "%s exited %d running `bash -c 'exit 0'`, and said:"
			  "\n%s\nexpected 0. " SEE, p->name, r.exit_code, r.err);
		return;
	}
	expect_clean_failure(127, "with a command the image does not hold",
			     (const char *const[]){ "execvp bash",
						    "No such file or directory",
						    NULL });
	expect_no_mount_left("with a command the image does not hold");
}

/* A program that takes limits must refuse, with one line and status 2,
 * each of the bad ones in args (NULL-terminated pairs of option and value),
 * naming the option and saying what is wrong (words); one that takes none
 * must refuse the option, with status 2. */
static void expect_bad_limits(const char *const pairs[], const char *what,
			      const char *const words[])
{
	for (int i = 0; pairs[i] != NULL; i += 2) {
		char said[64];

		run_with(NULL, (const char *const[]){ pairs[i], pairs[i + 1],
						      "@probe", NULL });
		if (!under_test()->takes_limits) {
			cr_expect(r.exit_code == 2 && !r.probed,
				  "%s %s, an option %s does not take, made it exit "
				  "%d. " SEE, pairs[i], pairs[i + 1],
				  under_test()->name, r.exit_code);
			continue;
		}
		snprintf(said, sizeof(said), "%s %s", pairs[i], pairs[i + 1]);
		expect_clean_failure(2, what, (const char *const[]){ said, NULL });
		for (int k = 0; words[k] != NULL; k++)
			cr_expect(strstr(r.err, words[k]) != NULL,
				  "with %s, the program said:\n%s\nexpected a "
				  "line with \"%s\". " SEE, said, r.err, words[k]);
	}
}

Test(badinput, limits_that_do_not_parse)
{
	expect_bad_limits((const char *const[]){ "--memory", "12X", "--memory",
						 "1.5G", "--pids", "ten",
						 "--cpu", "50%", NULL },
			  "a limit that is no number", (const char *const[]){
				  "not a", NULL });
}

Test(badinput, zero_limits_refused)
{
	expect_bad_limits((const char *const[]){ "--memory", "0", "--pids", "0",
						 "--cpu", "0", NULL },
			  "a limit of 0", (const char *const[]){ "more than 0",
								 NULL });
}

Test(badinput, negative_limits_refused)
{
	expect_bad_limits((const char *const[]){ "--memory", "-64M", "--pids",
						 "-3", NULL },
			  "a negative limit", (const char *const[]){ "not a", NULL });
}

Test(badinput, cpu_beyond_the_machine_refused)
{
	expect_bad_limits((const char *const[]){ "--cpu", "100000", NULL },
			  "more CPU than the machine has",
			  (const char *const[]){ "CPU", NULL });
}

/* Where the sandbox's cgroup lacks the cpu controller, as on a machine
 * without it, --cpu cannot be had: one line, status 2, and no folder made. */
Test(badinput, missing_controller_refused)
{
	const struct program *p = under_test();

	run_with((const char *const[]){ "--cgroup-lacks", "cpu", NULL },
		 p->takes_limits ? (const char *const[]){ "--cpu", "50", "@probe", NULL } :
				   (const char *const[]){ "@probe", NULL });
	if (!p->takes_limits) {
		cr_expect(r.exit_code == 0 && r.probed,
			  "%s exited %d and said:\n%s\nit takes no limits: it "
			  "should have run its command. " SEE, p->name,
			  r.exit_code, r.err);
		return;
	}
	expect_clean_failure(2, "with --cpu on a machine without the cpu "
			     "controller", (const char *const[]){ "--cpu",
								   "no cpu controller",
								   NULL });
	cr_expect(run_cgroups_unchanged(&r),
		  "refused for a missing controller, the program still changed "
		  "the sandbox's cgroups:\nbefore: %s\nafter:  %s\nParse "
		  "first, act after. " SEE, run_list(&r, "before", "cgroup"),
		  run_list(&r, "after", "cgroup"));
}

/* A name libcap does not know is a usage error, found before anything is
 * made; a program without --keep refuses the option itself. */
Test(badinput, unknown_capability_refused)
{
	run_with(NULL, (const char *const[]){ "--keep", "CAP_NO_SUCH", "@probe",
					      NULL });
	if (!under_test()->keeps_caps) {
		cr_expect(r.exit_code == 2 && !r.probed,
			  "with an unknown option, --keep, %s exited %d and "
			  "said:\n%s\nexpected a usage error, status 2. " SEE,
			  under_test()->name, r.exit_code, r.err);
		return;
	}
	expect_clean_failure(2, "with --keep CAP_NO_SUCH",
			     (const char *const[]){ "CAP_NO_SUCH",
						    "no such capability", NULL });
}
