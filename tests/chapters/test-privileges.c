/*
 * test-privileges.c: chapter 10, less privilege for root inside.
 *
 * The observer makes an image at /image/busybox, where privileges, copied
 * in as /box/privileges, looks for the workbook's.  The probe, as the
 * command, prints its credentials as its own system calls report them
 * ("cred ...", powers.h), then tries each call the chapter's filter
 * refuses and a few it allows ("try CALL ERRNO"); the observer prints the
 * same credentials from the probe's /proc/PID/status, from outside.  A
 * second run has the observer log, in order, the calls by which the
 * program gives up its power (--trace-powers): the sandbox's bubblewrap set
 * no_new_privs for every process in it already, so the order of the
 * program's own calls is what tells whether it would load its filter on a
 * machine where nothing had.  That run is apart from the first: the
 * tracer's own filter would count as one, and it kills calls of other
 * architectures.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define IMAGE "/image/busybox"
#define SEE_CHANGE "See chapters/10-privileges/README.md, 10.2 \"The one change\"."
#define SEE_WHY "See chapters/10-privileges/README.md, 10.4 \"Why it works\"."
#define SEE_TRAPS "See chapters/10-privileges/README.md, 10.5 \"Traps\"."

static const char *const scene[] = { "--image", IMAGE, NULL };

/* The calls the chapter's filter refuses, as the probe tries them. */
static const char *const refused[] = {
	"mount", "umount2", "pivot_root", "fsopen", "unshare", "setns",
	"clone", "keyctl", "add_key", "request_key", "bpf",
	"perf_event_open", "kexec_load", "reboot", "swapon", "init_module",
	"sethostname", NULL,
};

/* Calls any program makes, which must still work. */
static const char *const ordinary[] = {
	"fork", "mkdir", "symlink", "chdir", "kill", NULL,
};

/* The capabilities Docker leaves root, which the chapter keeps. */
static const int defaults[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
	CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW,
	CAP_SYS_CHROOT, CAP_MKNOD, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

static struct run r;

/* Runs the program with opts (NULL: none) before the probe, which prints
 * its credentials and tries every call above, clone3 and posix_spawn, and
 * an i386 call; checks that the probe ran. */
static void observe_with(const char *const opts[])
{
	const char *args[128];
	int n = 0;

	for (int i = 0; opts != NULL && opts[i] != NULL; i++)
		args[n++] = opts[i];
	args[n++] = "@probe";
	args[n++] = "--creds";
	for (int i = 0; refused[i] != NULL; i++) {
		args[n++] = "--try";
		args[n++] = refused[i];
	}
	for (int i = 0; ordinary[i] != NULL; i++) {
		args[n++] = "--try";
		args[n++] = ordinary[i];
	}
	for (const char *const *t = (const char *const[]){ "clone3", "spawn",
		"unshare-i386", NULL }; *t != NULL; t++) {
		args[n++] = "--try";
		args[n++] = *t;
	}
	args[n++] = "--hold";
	args[n] = NULL;
	sandbox_run(&r, program_under_test("privileges"), scene, args);
	expect_probe_ran(&r);
}

/* The same, with no options. */
static void observe(void)
{
	observe_with(NULL);
}

/* Returns the mask of the defaults, and of extra (-1 ended), as 16 hex
 * digits, the way /proc/PID/status shows a set. */
static const char *mask_of(const int extra[])
{
	static char hex[8][17];
	static int next;
	unsigned long long mask = 0;
	char *out = hex[next++ % 8];

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		mask |= 1ULL << defaults[i];
	for (int i = 0; extra != NULL && extra[i] != -1; i++)
		mask |= 1ULL << extra[i];
	snprintf(out, 17, "%016llx", mask);
	return out;
}

/* Returns the value of "cred FIELD" in section: "inside" (the probe's own
 * system calls) or "during" (the observer, reading /proc/PID/status). */
static const char *cred(const char *section, const char *field)
{
	char key[64];
	const char *v;

	snprintf(key, sizeof(key), "cred %s", field);
	v = run_get(&r, section, key);
	return v != NULL ? v : "(none)";
}

/* Fails the test unless field is want, outside and inside alike. */
static void expect_set(const char *field, const char *want, const char *hint)
{
	cr_expect(strcmp(cred("during", field), want) == 0,
		  "outside, the command's /proc/PID/status shows %s: %s; "
		  "expected %s. %s", field, cred("during", field), want, hint);
	cr_expect(strcmp(cred("inside", field), cred("during", field)) == 0,
		  "the command's %s, as its own system calls report it (%s), "
		  "is not what its /proc/PID/status shows outside (%s).",
		  field, cred("inside", field), cred("during", field));
}

/* Returns what the probe's try of call gave: "ok", "EPERM", "killed SYS". */
static const char *tried(const char *call)
{
	char key[64];
	const char *v;

	snprintf(key, sizeof(key), "try %s", call);
	v = run_get(&r, "inside", key);
	return v != NULL ? v : "(not tried)";
}

/* Returns, joined, "CALL: RESULT" for each call whose result is not want. */
static const char *unlike(const char *const calls[], const char *want)
{
	static char list[1024];
	size_t n = 0;

	list[0] = '\0';
	for (int i = 0; calls[i] != NULL; i++)
		if (strcmp(tried(calls[i]), want) != 0 && n < sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s: %s",
					      n > 0 ? ", " : "", calls[i],
					      tried(calls[i]));
	return list;
}

TestSuite(privileges, .timeout = 15);

Test(privileges, bounding_set_is_the_default)
{
	observe();
	expect_set("CapBnd", mask_of(NULL),
		   "The bounding set is cut to Docker's fourteen with "
		   "cap_drop_bound(), or root gets everything back at its next "
		   "execve(). " SEE_WHY);
}

Test(privileges, sets_follow_the_bounding_set)
{
	observe();
	expect_set("CapEff", mask_of(NULL), "cap_set_proc() with the same "
		   "fourteen, effective and permitted. " SEE_CHANGE);
	expect_set("CapPrm", mask_of(NULL), "cap_set_proc() with the same "
		   "fourteen, effective and permitted. " SEE_CHANGE);
	expect_set("CapInh", "0000000000000000", "Nothing inheritable: a "
		   "new cap_t from cap_init() holds nothing. " SEE_WHY);
	expect_set("CapAmb", "0000000000000000", "cap_reset_ambient(). "
		   SEE_WHY);
}

Test(privileges, keep_adds_to_every_set)
{
	static const int more[] = { CAP_NET_ADMIN, CAP_SYS_TIME, -1 };
	const char *want = mask_of(more);

	observe_with((const char *const[]){ "--keep", "CAP_NET_ADMIN,cap_sys_time",
					    NULL });
	expect_set("CapBnd", want, "--keep adds its capabilities to the "
		   "fourteen. " SEE_CHANGE);
	expect_set("CapEff", want, "--keep adds its capabilities to the "
		   "fourteen. " SEE_CHANGE);
	expect_set("CapPrm", want, "--keep adds its capabilities to the "
		   "fourteen. " SEE_CHANGE);
}

/* bubblewrap set no_new_privs for the whole sandbox, so a program that
 * forgot it still loads its filter here; the trace shows whether it set
 * it first, as a machine without bubblewrap requires of a process that
 * has lost CAP_SYS_ADMIN. */
Test(privileges, no_new_privs_before_the_filter)
{
	static const char *const traced[] = { "--image", IMAGE, "--trace-powers",
					      NULL };
	const char *filter = NULL;
	bool nnp_first = false;

	observe();
	cr_expect(strcmp(cred("during", "Seccomp"), "2") == 0 &&
		  strcmp(cred("inside", "Seccomp"), "2") == 0 &&
		  strcmp(cred("during", "NoNewPrivs"), "1") == 0,
		  "outside, the command's Seccomp is %s and NoNewPrivs %s "
		  "(inside: %s and %s); expected 2, a filter, and 1. " SEE_CHANGE,
		  cred("during", "Seccomp"), cred("during", "NoNewPrivs"),
		  cred("inside", "Seccomp"), cred("inside", "NoNewPrivs"));

	sandbox_run(&r, program_under_test("privileges"), traced,
		    (const char *const[]){ "@probe", NULL });
	expect_probe_ran(&r);
	for (size_t i = 0; i < r.nlines && filter == NULL; i++) {
		const char *line = r.lines[i].text;

		if (strcmp(r.lines[i].section, "after") != 0 ||
		    strncmp(line, "power ", 6) != 0)
			continue;
		if (strstr(line, " prctl no_new_privs 1 ") != NULL)
			nnp_first = true;
		if (strstr(line, " seccomp 1 ") != NULL)
			filter = line;
	}
	cr_expect(filter != NULL, "outside, the program was never seen to "
		  "load a seccomp filter (calls seen: %s). " SEE_CHANGE,
		  run_list(&r, "after", "power"));
	cr_expect(filter == NULL || nnp_first || strstr(filter, "sys_admin 1"),
		  "outside, the program loaded its filter (%s) before it set "
		  "no_new_privs, and without CAP_SYS_ADMIN: on a machine whose "
		  "processes do not have no_new_privs already, as they do in "
		  "this sandbox, seccomp() fails with EACCES. "
		  "prctl(PR_SET_NO_NEW_PRIVS) first. " SEE_TRAPS,
		  filter ? filter : "");
}

Test(privileges, refused_calls_fail_with_eperm)
{
	observe();
	cr_expect(unlike(refused, "EPERM")[0] == '\0',
		  "inside, these calls were not refused with EPERM: %s. The "
		  "filter refuses each with SCMP_ACT_ERRNO(EPERM), and clone() "
		  "with any CLONE_NEW* flag. " SEE_WHY, unlike(refused, "EPERM"));
}

Test(privileges, hostname_cannot_change)
{
	observe();
	cr_expect(strcmp(tried("sethostname"), "EPERM") == 0,
		  "inside, root set the host name of its own UTS namespace "
		  "(%s): it still holds CAP_SYS_ADMIN. " SEE_CHANGE,
		  tried("sethostname"));
	expect_new_namespace(&r, "uts", SEE_CHANGE);
}

Test(privileges, clone3_falls_back_to_clone)
{
	observe();
	cr_expect(strcmp(tried("clone3"), "ENOSYS") == 0,
		  "inside, clone3() gave %s; expected ENOSYS, \"no such call\", "
		  "so that the C library falls back to clone(), whose flags "
		  "the filter can read. " SEE_TRAPS, tried("clone3"));
	cr_expect(strcmp(tried("spawn"), "ok") == 0 &&
		  strcmp(tried("fork"), "ok") == 0,
		  "inside, posix_spawn() gave %s and fork() %s; both must "
		  "work: the C library tries clone3() first for posix_spawn() "
		  "and threads, and falls back to clone() only on ENOSYS. "
		  SEE_TRAPS, tried("spawn"), tried("fork"));
}

Test(privileges, other_architectures_are_killed)
{
	observe();
	if (strcmp(tried("unshare-i386"), "killed SEGV") == 0)
		cr_skip_test("this kernel runs no i386 system calls");
	cr_expect(strcmp(tried("unshare-i386"), "killed SYS") == 0,
		  "inside, unshare(CLONE_NEWUSER) made through the i386 call "
		  "table (int $0x80) gave %s; expected the caller killed by "
		  "SIGSYS: the filter must check each call's architecture, "
		  "which libseccomp does unless told otherwise. " SEE_TRAPS,
		  tried("unshare-i386"));
}

Test(privileges, ordinary_work_goes_on)
{
	observe();
	cr_expect(strcmp(cred("during", "Seccomp"), "2") == 0,
		  "outside, the command's Seccomp is %s: it runs under no "
		  "filter. " SEE_CHANGE, cred("during", "Seccomp"));
	cr_expect(unlike(ordinary, "ok")[0] == '\0' &&
		  run_has(&r, "inside", "proc 1 probe"),
		  "inside, under the filter, ordinary calls failed: %s%s. The "
		  "filter refuses only what it names. " SEE_WHY,
		  unlike(ordinary, "ok"), run_has(&r, "inside", "proc 1 probe") ?
		  "" : "; and /proc did not list the command as PID 1");
}

Test(privileges, root_in_a_user_namespace_of_its_own)
{
	const char *probe, *map;
	char key[64];

	observe();
	cr_expect(strcmp(cred("inside", "Uid"), "0 0 0 0") == 0 &&
		  strcmp(cred("inside", "Gid"), "0 0 0 0") == 0,
		  "inside, the command's ids are uid %s, gid %s; expected "
		  "root, 0 0 0 0. " SEE_CHANGE, cred("inside", "Uid"),
		  cred("inside", "Gid"));
	expect_new_namespace(&r, "user", SEE_CHANGE);
	expect_new_namespace(&r, "mnt", SEE_CHANGE);
	expect_new_namespace(&r, "pid", SEE_CHANGE);
	probe = run_find(&r, "during", "probe ");
	snprintf(key, sizeof(key), "taskmap %s uid_map", probe ? probe + 6 : "?");
	map = run_get(&r, "during", key);
	cr_expect(map != NULL && strcmp(map, "0 0 1") == 0,
		  "outside, the command's uid_map is %s; expected \"0 0 1\": "
		  "root inside is the caller, uid 0 of the sandbox, outside. "
		  SEE_CHANGE, map ? map : "(none)");
}
