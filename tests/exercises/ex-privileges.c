/*
 * ex-privileges.c: the exercises of chapter 10, less privilege for root
 * inside.
 *
 * Every run has an image at /image/busybox, where a program copied in as
 * /box/NAME looks for the workbook's.  The probe prints its credentials as
 * its own system calls report them and tries calls ("try CALL ERRNO",
 * powers.h); the observer prints the same credentials from the probe's
 * /proc/PID/status, outside.  no_admin: the probe tries a mount and a new
 * host name.  deny: the probe tries calls that --deny names, and others,
 * with and without --deny.  as_user: the probe runs as --user, once as
 * itself and once from a set-user-ID copy in the image, while the observer
 * logs the calls by which the program gives up its power (--trace-powers):
 * bubblewrap set no_new_privs for the whole sandbox, so only the order of
 * the program's own calls tells whether it sets it.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

#define IMAGE "/image/busybox"
#define SEE_ADMIN "See 10.6 \"Exercises\", Root that cannot mount (chapters/10-privileges/exercises.md)."
#define SEE_DENY "See 10.6 \"Exercises\", A filter of your own (chapters/10-privileges/exercises.md)."
#define SEE_USER "See 10.6 \"Exercises\", A user, not root (chapters/10-privileges/exercises.md)."

static const char *const scene[] = { "--image", IMAGE, NULL };

static struct run r;

/* Returns the value of "cred FIELD" in section: "inside" (the probe's own
 * system calls) or "during" (the observer, from /proc/PID/status). */
static const char *cred(const char *section, const char *field)
{
	char key[64];

	snprintf(key, sizeof(key), "cred %s", field);
	return ex_get(&r, section, key);
}

/* Returns what the probe's try of call gave: "ok", "EPERM", "killed SYS". */
static const char *tried(const char *call)
{
	char key[64];

	snprintf(key, sizeof(key), "try %s", call);
	return ex_get(&r, "inside", key);
}

/* Returns true if field is want outside and the same inside. */
static bool set_is(const char *field, const char *want)
{
	return strcmp(cred("during", field), want) == 0 &&
	       strcmp(cred("inside", field), want) == 0;
}

/* Returns, as 16 hex digits, every capability this kernel has but cap. */
static const char *all_but(int cap)
{
	static char hex[17];
	unsigned long long all;
	int last = 40;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1)
			last = 40;
		fclose(f);
	}
	all = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	snprintf(hex, sizeof(hex), "%016llx", all & ~(1ULL << cap));
	return hex;
}

TestSuite(no_admin, .timeout = 15);

/* Runs the program; the probe prints its credentials, then tries to mount
 * a tmpfs and to set the host name. */
static void observe_no_admin(void)
{
	static const char *const args[] = { "@probe", "--creds", "--try",
		"mount", "--try", "sethostname", "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_ADMIN);
}

Test(no_admin, mount_refused_inside)
{
	observe_no_admin();
	cr_expect(strcmp(tried("mount"), "EPERM") == 0,
		  "inside, root's mount of a tmpfs gave %s; expected EPERM: "
		  "mounting takes CAP_SYS_ADMIN, which must be gone. " SEE_ADMIN,
		  tried("mount"));
}

Test(no_admin, sethostname_refused_inside)
{
	observe_no_admin();
	cr_expect(strcmp(tried("sethostname"), "EPERM") == 0,
		  "inside, root's sethostname() gave %s; expected EPERM: it "
		  "takes CAP_SYS_ADMIN too. " SEE_ADMIN, tried("sethostname"));
}

Test(no_admin, only_sys_admin_is_gone)
{
	const char *want = all_but(CAP_SYS_ADMIN);

	observe_no_admin();
	cr_expect(set_is("CapBnd", want),
		  "the command's bounding set is %s outside, %s inside; "
		  "expected %s, every capability but CAP_SYS_ADMIN: out of the "
		  "bounding set, or root gets it back at its next execve(), "
		  "and nothing else. " SEE_ADMIN, cred("during", "CapBnd"),
		  cred("inside", "CapBnd"), want);
	cr_expect(set_is("CapEff", want) && set_is("CapPrm", want),
		  "the command's effective and permitted sets are %s and %s "
		  "outside (%s and %s inside); expected %s, every capability "
		  "but CAP_SYS_ADMIN. " SEE_ADMIN, cred("during", "CapEff"),
		  cred("during", "CapPrm"), cred("inside", "CapEff"),
		  cred("inside", "CapPrm"), want);
}

TestSuite(deny, .timeout = 15);

/* The calls the tests deny, and one they leave alone. */
static const char *const denied[] = { "mkdir", "symlink", "chdir", NULL };

/* Runs the program with opts before the probe, which tries the calls
 * above, kill() and some of the chapter's refused calls. */
static void observe_deny(const char *const opts[])
{
	const char *args[32];
	int n = 0;

	for (int i = 0; opts != NULL && opts[i] != NULL; i++)
		args[n++] = opts[i];
	for (const char *const *a = (const char *const[]){ "@probe", "--creds",
		"--try", "mkdir", "--try", "symlink", "--try", "chdir", "--try",
		"kill", "--try", "mount", "--try", "unshare", "--try", "clone3",
		"--hold", NULL }; *a != NULL; a++)
		args[n++] = *a;
	args[n] = NULL;
	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_DENY);
}

/* Returns, joined, "CALL: RESULT" for each denied call whose try was not
 * want. */
static const char *unlike(const char *want)
{
	static char list[512];
	size_t n = 0;

	list[0] = '\0';
	for (int i = 0; denied[i] != NULL; i++)
		if (strcmp(tried(denied[i]), want) != 0 && n < sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s: %s",
					      n > 0 ? ", " : "", denied[i],
					      tried(denied[i]));
	return list[0] != '\0' ? ex_clean(list) : "";
}

/* Each named call fails inside; the same calls work in the same program
 * without --deny: the filter refused them, nothing else. */
Test(deny, named_calls_fail_with_eperm)
{
	char *without;

	observe_deny(NULL);
	without = strdup(unlike("ok"));
	cr_assert(without != NULL && without[0] == '\0',
		  "without --deny, these calls failed inside already: %s. "
		  "Keep the chapter's filter as it is. " SEE_DENY, without);
	observe_deny((const char *const[]){ "--deny", "mkdir,symlink", "--deny",
					    "chdir", NULL });
	cr_expect(unlike("EPERM")[0] == '\0',
		  "with --deny mkdir,symlink --deny chdir, these calls were not "
		  "refused with EPERM inside: %s. Each name of each --deny, "
		  "resolved by seccomp_syscall_resolve_name(), gets a rule with "
		  "SCMP_ACT_ERRNO(EPERM). " SEE_DENY, unlike("EPERM"));
	cr_expect(strcmp(tried("kill"), "ok") == 0,
		  "with --deny mkdir,symlink --deny chdir, kill(), which no "
		  "--deny named, gave %s inside. " SEE_DENY, tried("kill"));
	free(without);
}

Test(deny, chapter_filter_kept)
{
	observe_deny((const char *const[]){ "--deny", "mkdir", NULL });
	cr_expect(strcmp(tried("mkdir"), "EPERM") == 0,
		  "with --deny mkdir, mkdir() gave %s inside; expected EPERM. "
		  SEE_DENY, tried("mkdir"));
	cr_expect(strcmp(tried("mount"), "EPERM") == 0 &&
		  strcmp(tried("unshare"), "EPERM") == 0 &&
		  strcmp(tried("clone3"), "ENOSYS") == 0 &&
		  strcmp(cred("during", "Seccomp"), "2") == 0,
		  "with --deny mkdir, the chapter's own rules are gone: mount "
		  "gave %s, unshare %s (expected EPERM), clone3 %s (expected "
		  "ENOSYS). --deny adds to them. " SEE_DENY, tried("mount"),
		  tried("unshare"), tried("clone3"));
}

Test(deny, unknown_call_refused)
{
	ex_run(&r, scene, (const char *const[]){ "--deny", "mkdir,no_such_call",
						 "@probe", NULL });
	cr_expect(r.exit_code == 2 && !r.probed,
		  "with --deny mkdir,no_such_call, the program exited %d%s; "
		  "expected status 2, a usage error, before anything runs. "
		  SEE_DENY, r.exit_code, r.probed ? " and ran its command" : "");
	cr_expect(strstr(r.err, "no_such_call") != NULL &&
		  strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		  "with --deny mkdir,no_such_call, the program said:\n%s\n"
		  "expected one line that names no_such_call. " SEE_DENY,
		  ex_clean(r.err));
}

TestSuite(as_user, .timeout = 15);

/* Runs the program as --user 1000:1001, the probe printing its
 * credentials. */
static void observe_user(void)
{
	static const char *const args[] = { "--user", "1000:1001", "@probe",
					    "--creds", "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_USER);
}

Test(as_user, ids_are_the_user)
{
	char key[64];
	const char *probe, *uid_map, *gid_map;

	observe_user();
	cr_expect(strcmp(cred("inside", "Uid"), "1000 1000 1000 1000") == 0 &&
		  strcmp(cred("inside", "Gid"), "1001 1001 1001 1001") == 0,
		  "with --user 1000:1001, the command's ids inside are uid %s, "
		  "gid %s; expected 1000 and 1001, real, effective, saved and "
		  "file system alike. " SEE_USER, cred("inside", "Uid"),
		  cred("inside", "Gid"));
	probe = run_find(&r, "during", "probe ");
	snprintf(key, sizeof(key), "taskmap %s uid_map", probe ? probe + 6 : "?");
	uid_map = ex_get(&r, "during", key);
	snprintf(key, sizeof(key), "taskmap %s gid_map", probe ? probe + 6 : "?");
	gid_map = ex_get(&r, "during", key);
	cr_expect(strcmp(uid_map, "1000 0 1") == 0 && strcmp(gid_map, "1001 0 1") == 0,
		  "outside, the command's maps are uid_map %s, gid_map %s; "
		  "expected \"1000 0 1\" and \"1001 0 1\": the user inside is "
		  "the caller outside, the sandbox's uid and gid 0. " SEE_USER,
		  uid_map, gid_map);
}

Test(as_user, every_capability_gone)
{
	static const char *const sets[] = { "CapBnd", "CapEff", "CapPrm",
					    "CapInh", "CapAmb" };

	observe_user();
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		cr_expect(set_is(sets[i], "0000000000000000"),
			  "with --user 1000:1001, the command's %s is %s "
			  "outside, %s inside; expected none. The bounding set "
			  "too: what it holds, a set-user-ID program could "
			  "gain. " SEE_USER, sets[i], cred("during", sets[i]),
			  cred("inside", sets[i]));
}

/* In this sandbox the set-user-ID bit can give nothing whatever the
 * program does: bubblewrap set no_new_privs for all, and the only id the
 * sandbox has is the caller's, whom the map makes the user, so the copy's
 * owner is the user already.  So the test looks at the program's own
 * calls too: no_new_privs set before its command, as it must be wherever
 * the image's files belong to someone else. */
Test(as_user, setuid_binary_grants_nothing)
{
	static const char *const traced[] = { "--image", IMAGE, "--setuid-probe",
					      "--trace-powers", NULL };
	bool nnp = false, ran = false;

	ex_run(&r, traced, (const char *const[]){ "--user", "1000:1001",
		"/box/setuid-probe", "--creds", NULL });
	ex_expect_ran(&r, SEE_USER);
	cr_expect(strcmp(cred("inside", "Uid"), "1000 1000 1000 1000") == 0 &&
		  strcmp(cred("inside", "CapEff"), "0000000000000000") == 0 &&
		  strcmp(cred("inside", "CapPrm"), "0000000000000000") == 0,
		  "with --user 1000:1001, a set-user-ID program of the image "
		  "ran with uid %s and capabilities %s (permitted %s); expected "
		  "the user's ids and none. " SEE_USER, cred("inside", "Uid"),
		  cred("inside", "CapEff"), cred("inside", "CapPrm"));
	for (size_t i = 0; i < r.nlines && !ran; i++) {
		const char *line = r.lines[i].text;

		if (strcmp(r.lines[i].section, "after") != 0)
			continue;
		nnp |= strncmp(line, "power ", 6) == 0 &&
		       strstr(line, " prctl no_new_privs 1 ") != NULL;
		ran = strncmp(line, "power ", 6) == 0 &&
		      strstr(line, " execve /box/setuid-probe") != NULL;
	}
	cr_expect(ran && nnp,
		  "outside, the program %s: without it, a set-user-ID program "
		  "gives whoever runs it its owner's uid, and every capability "
		  "the bounding set holds if that is root. "
		  "prctl(PR_SET_NO_NEW_PRIVS) before execvp(). " SEE_USER,
		  !ran ? "was never seen to run the set-user-ID program" :
		  "did not set no_new_privs before it ran its command");
}

Test(as_user, bad_user_refused)
{
	static const char *const bad[] = { "10x:1000", "1000", "1000:1001x",
					   "-1:0", "1000:4294967295", NULL };

	for (int i = 0; bad[i] != NULL; i++) {
		ex_run(&r, scene, (const char *const[]){ "--user", bad[i],
							 "@probe", NULL });
		cr_expect(r.exit_code == 2 && !r.probed &&
			  strstr(r.err, bad[i]) != NULL &&
			  strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
			  "with --user %s, the program exited %d%s and said:\n"
			  "%s\nexpected one line naming %s and status 2, a usage "
			  "error. " SEE_USER, bad[i], r.exit_code,
			  r.probed ? ", running its command," : "",
			  ex_clean(r.err), bad[i]);
	}
}
