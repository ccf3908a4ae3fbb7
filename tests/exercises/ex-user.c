/*
 * ex-user.c: the exercises of chapter 6, the user namespace.
 *
 * The sandbox's root is the caller: uid and gid 0 as the observer sees
 * them.  rootless runs the program with no capability at all (--drop-caps),
 * as a plain user would run it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "exercise.h"

#define SEE_MAP "See 6.6 \"Exercises\", Root inside, you outside (chapters/06-user/exercises.md)."
#define SEE_ROOTLESS "See 6.6 \"Exercises\", A hostname without root (chapters/06-user/exercises.md)."
#define SEE_NEWUSER "See chapters/06-user/README.md, 6.2 \"The one change\"."

static struct run r;

TestSuite(uid_map, .timeout = 15);

/* Runs the program with the probe. */
static void observe_map(void)
{
	static const char *const args[] = { "@probe", "--hold", NULL };

	ex_run(&r, NULL, args);
	ex_expect_ran(&r, SEE_MAP);
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
	static const char *const scene[] = { "--drop-caps", NULL };
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
