/*
 * ex-user.c: the exercises of chapter 6, the user namespace.
 *
 * The sandbox's root is the caller: uid and gid 0 as the observer sees
 * them.  Both exercises must work for a plain user, so both run the
 * program with no capability at all (--drop-caps), as a plain user would
 * run it: without CAP_SETGID over its own namespace, a process may write a
 * gid_map only after it has denied setgroups.  The sandbox's own user
 * namespace has setgroups denied already (bubblewrap, as a plain user,
 * must), and a namespace made inside inherits that, so a program that
 * forgets the deny would still work here: the order of the writes is
 * watched instead (--trace-open).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exercise.h"

#define SEE_MAP "See 6.6 \"Exercises\", Root inside, you outside (chapters/06-user/exercises.md)."
#define SEE_ROOTLESS "See 6.6 \"Exercises\", A hostname without root (chapters/06-user/exercises.md)."
#define SEE_NEWUSER "See chapters/06-user/README.md, 6.2 \"The one change\"."

static struct run r;

TestSuite(uid_map, .timeout = 15);

/* Runs the program without capabilities, with the probe. */
static void observe_map(void)
{
	static const char *const scene[] = { "--drop-caps", "--trace-open", NULL };
	static const char *const args[] = { "@probe", "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_MAP);
}

/* Checks, from the files the program opened, that it wrote "deny" to a
 * setgroups before it wrote the gid_map beside it; see names the section. */
static void expect_setgroups_denied_first(const char *see)
{
	const char *gid_map = NULL;
	bool denied = false;

	for (size_t i = 0; i < r.nlines && gid_map == NULL; i++) {
		const char *t = r.lines[i].text;
		size_t n = strlen(t);

		if (strcmp(r.lines[i].section, "after") != 0 ||
		    strncmp(t, "open ", 5) != 0 || n < 6 ||
		    strcmp(t + n - 6, " write") != 0)
			continue;
		if (strstr(t, "/setgroups write") != NULL)
			denied = true;
		else if (strstr(t, "/gid_map write") != NULL)
			gid_map = t;
	}
	cr_expect(gid_map != NULL,
		  "the program wrote no gid_map: root inside must be mapped "
		  "to your group too. %s", see);
	if (gid_map != NULL) {	/* "open PID PATH write": the PATH */
		static char path[256];
		const char *at = strchr(gid_map + 5, ' ');

		snprintf(path, sizeof(path), "%s", at != NULL ? at + 1 : gid_map);
		path[strcspn(path, " ")] = '\0';
		gid_map = path;
	}
	cr_expect(gid_map == NULL || denied,
		  "the program wrote %s without writing \"deny\" to "
		  "setgroups first. Without privilege a process may write "
		  "a gid_map only once setgroups is denied: run for real as "
		  "a plain user, this program fails with EPERM. (It worked in "
		  "the grader's sandbox only because the sandbox's own user "
		  "namespace has setgroups denied already, and a new one "
		  "inherits that.) %s", ex_clean(gid_map), see);
}

Test(uid_map, setgroups_denied_before_gid_map)
{
	observe_map();
	expect_setgroups_denied_first(SEE_MAP);
}

/* Returns whether the "during" report holds "taskmap PID file 0 0 1" for
 * the probe, the map of root inside to the caller, uid and gid 0. */
static bool has_map(const char *file)
{
	const char *pid = run_task(&r, "probe");
	char line[128];

	snprintf(line, sizeof(line), "taskmap %s %s 0 0 1", pid ? pid : "?",
		 file);
	return pid != NULL && run_has(&r, "during", line);
}

Test(uid_map, root_inside)
{
	observe_map();
	cr_expect(ex_new_namespace(&r, "user"),
		  "the command runs in its parent's user namespace. Keep "
		  "CLONE_NEWUSER. " SEE_NEWUSER);
	cr_expect(strcmp(ex_get(&r, "inside", "uid"), "0") == 0 &&
		  strcmp(ex_get(&r, "inside", "gid"), "0") == 0,
		  "inside, `id` shows uid %s and gid %s; expected 0 and 0. "
		  "65534 means no map was written before the command ran: the "
		  "parent writes /proc/PID/uid_map and gid_map while the child "
		  "waits. " SEE_MAP, ex_get(&r, "inside", "uid"),
		  ex_get(&r, "inside", "gid"));
}

Test(uid_map, maps_seen_from_outside)
{
	observe_map();
	cr_expect(has_map("uid_map") && has_map("gid_map"),
		  "outside, the command's maps read: %s; expected \"uid_map "
		  "0 0 1\" and \"gid_map 0 0 1\": root inside is the caller "
		  "(uid and gid 0 here) outside, and no one else. " SEE_MAP,
		  ex_list(&r, "during", "taskmap"));
}

TestSuite(rootless, .timeout = 15);

/* Runs the program without capabilities, naming the host rootless-host;
 * the probe renames it again. */
static void observe_rootless(void)
{
	static const char *const scene[] = { "--drop-caps", "--trace-open", NULL };
	static const char *const args[] = { "--hostname", "rootless-host", "@probe",
					    "--sethostname", "renamed-inside",
					    "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_ROOTLESS);
}

Test(rootless, hostname_set_without_privilege)
{
	observe_rootless();
	cr_expect(strcmp(ex_get(&r, "inside", "hostname"), "rootless-host") == 0,
		  "run without privilege with --hostname rootless-host, the hostname "
		  "inside is \"%s\". The child may rename a UTS namespace only "
		  "if it belongs to the child's user namespace: create both "
		  "in one clone(). " SEE_ROOTLESS,
		  ex_get(&r, "inside", "hostname"));
}

Test(rootless, command_is_root_inside)
{
	observe_rootless();
	cr_expect(run_has(&r, "inside", "done sethostname renamed-inside"),
		  "run without privilege, the command could not rename its "
		  "host (%s; it is uid %s inside). After execvp() only root "
		  "of the user namespace keeps its capabilities: map root "
		  "inside to the caller, setgroups denied first. " SEE_ROOTLESS,
		  ex_list(&r, "inside", "failed"), ex_get(&r, "inside", "uid"));
}

Test(rootless, setgroups_denied_before_gid_map)
{
	observe_rootless();
	expect_setgroups_denied_first(SEE_ROOTLESS);
}

Test(rootless, parent_keeps_its_name)
{
	observe_rootless();
	cr_expect(strcmp(ex_get(&r, "inside", "hostname"), "rootless-host") == 0 &&
		  strcmp(ex_get(&r, "before", "hostname"),
			 ex_get(&r, "after", "hostname")) == 0,
		  "the hostname was \"%s\" outside, \"%s\" inside, and is "
		  "\"%s\" outside afterwards; expected rootless-host inside "
		  "and the outside name unchanged. " SEE_ROOTLESS,
		  ex_get(&r, "before", "hostname"),
		  ex_get(&r, "inside", "hostname"),
		  ex_get(&r, "after", "hostname"));
}
