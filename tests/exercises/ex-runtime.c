/*
 * ex-runtime.c: the exercises of chapter 11, slices of an OCI runtime.
 *
 * The runtime is driven as conmon drives one: the observer runs the tool
 * oci (tests/harness/oci.c) in its place (--driver), with the runtime's
 * path; oci writes a bundle on chapter 7's image (/image/busybox), and, as
 * a subreaper, calls create with a pid file (and a console socket), reads
 * the pid file, checks the process's parent and the file it runs, calls
 * state, start, kill and delete, waits for the process with waitpid(-1),
 * and reports each step as "oci STEP VALUE" in the program's output; what
 * the runtime and the container print is marked "| ".
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

#define SEE_LIFE "See 11.9 \"Exercises\", State, kill and delete (chapters/11-runtime/exercises.md)."
#define SEE_SPLIT "See 11.9 \"Exercises\", Create, then start (chapters/11-runtime/exercises.md)."
#define SEE_MOUNTS "See 11.9 \"Exercises\", The mounts of config.json (chapters/11-runtime/exercises.md)."
#define SEE_CONSOLE "See 11.9 \"Exercises\", The console socket (chapters/11-runtime/exercises.md)."

static const char *const scene[] = { "--driver", "--image", "/image/busybox", NULL };
static const char *const data_scene[] = { "--driver", "--image", "/image/busybox",
					  "--data", "/data", NULL };

static struct run r;

/* Drives the runtime through oci with args (options, "--", the command). */
static void drive(const char *const s[], const char *const args[])
{
	ex_run(&r, s, args);
	cr_assert(r.observed, "the sandbox did not finish its report; its stderr:\n%s",
		  ex_clean(r.err));
}

/* Returns what oci said of step, "(none)" if it said nothing. */
static const char *oci(const char *step)
{
	char key[64];

	snprintf(key, sizeof(key), "oci %s", step);
	return ex_get(&r, "output", key);
}

/* Returns true if oci said of step exactly want. */
static bool said(const char *step, const char *want)
{
	return strcmp(oci(step), want) == 0;
}

/* Returns true if the runtime or the container printed line. */
static bool printed(const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "| %s", line);
	return run_has(&r, "output", want);
}

/* What the runtime and the container printed, for failure messages. */
static const char *their_output(void)
{
	return ex_list(&r, "output", "|");
}

/* ---- State, kill and delete ---- */

/* A program that says when SIGTERM comes, and ends with 5 then. */
#define TRAPS_TERM "trap 'echo got TERM; exit 5' TERM; echo up; while :; do sleep 0.05; done"

static void observe_term(void)
{
	drive(scene, (const char *const[]){ "@oci", "--delete-running", "--kill", "TERM",
					    "--", "sh", "-c", TRAPS_TERM, NULL });
}

TestSuite(lifecycle, .timeout = 20);

Test(lifecycle, state_tells_created_running_stopped)
{
	observe_term();
	cr_expect(said("state-created", "created") && said("state-running", "running") &&
		  said("state-stopped", "stopped"),
		  "`state` said %s after create, %s after start and %s once the "
		  "process had ended; expected created, running, stopped. A live "
		  "process with its exec fifo is created, without it running; an "
		  "ended one, or a pid with another start time, stopped. " SEE_LIFE,
		  oci("state-created"), oci("state-running"), oci("state-stopped"));
}

Test(lifecycle, kill_by_name)
{
	observe_term();
	cr_expect(said("kill exit", "0") && printed("got TERM") && said("exit", "5"),
		  "`kill box1 TERM` exited %s, and the program ended with %s; expected "
		  "0, and the program's own 5 once its trap ran (it printed: %s). "
		  SEE_LIFE, oci("kill exit"), oci("exit"), their_output());
}

Test(lifecycle, kill_by_number)
{
	drive(scene, (const char *const[]){ "@oci", "--kill", "9", "--", "sleep", "30", NULL });
	cr_expect(said("kill exit", "0") && said("exit", "137"),
		  "`kill box1 9` exited %s, and the program ended with %s; expected 0 "
		  "and 137, 128 + SIGKILL. " SEE_LIFE, oci("kill exit"), oci("exit"));
}

Test(lifecycle, delete_of_running_refused)
{
	const char *what;

	observe_term();
	what = oci("delete-running exit");
	cr_expect(strncmp(what, "0 ", 2) != 0 && strstr(what, "box1") != NULL &&
		  strstr(what, "running") != NULL && said("alive-after", "yes"),
		  "`delete box1` of a running container gave: exit %s, and its process "
		  "was %s after; expected a refusal, one line naming box1 and its "
		  "status, running, and the process left alone. " SEE_LIFE, what,
		  said("alive-after", "yes") ? "alive" : "gone");
}

Test(lifecycle, delete_removes_the_state)
{
	observe_term();
	cr_expect(said("delete exit", "0") && said("state-dir", "gone") &&
		  strncmp(oci("unknown exit"), "0 ", 2) != 0,
		  "`delete box1` of a stopped container exited %s and left its state "
		  "folder %s; then `state nosuch` gave: exit %s. Expected 0, the folder "
		  "gone, and an unknown id refused. " SEE_LIFE, oci("delete exit"),
		  oci("state-dir"), oci("unknown exit"));
}

Test(lifecycle, delete_force_kills)
{
	drive(scene, (const char *const[]){ "@oci", "--force-delete", "--", "sleep", "30",
					    NULL });
	cr_expect(said("force-delete exit", "0") && said("gone", "yes") &&
		  said("state-dir", "gone"),
		  "`delete --force box1` of a running container exited %s; its process "
		  "was %s and its state folder %s. Expected 0, the process killed "
		  "and reaped, the folder gone. " SEE_LIFE, oci("force-delete exit"),
		  said("gone", "yes") ? "gone" : "still there", oci("state-dir"));
}

/* ---- Create, then start ---- */

static void observe_split(void)
{
	drive(scene, (const char *const[]){ "@oci", "--", "sh", "-c", "echo started; sleep 0.3; exit 3",
					    NULL });
}

TestSuite(split, .timeout = 20);

Test(split, pid_file_names_a_child_of_the_caller)
{
	const char *pid;

	observe_split();
	pid = oci("pidfile");
	cr_expect(said("create exit", "0") && strspn(pid, "0123456789") == strlen(pid) &&
		  said("parent", "self"),
		  "create exited %s; the pid file: %s; that process's parent "
		  "was %s. Expected 0, the pid alone (no newline: conmon reads it "
		  "with atoi()), and its parent the caller of create, a subreaper, "
		  "with no helper between. " SEE_SPLIT, oci("create exit"), pid,
		  said("parent", "self") ? "the caller" : "another process");
}

Test(split, create_leaves_the_process_waiting)
{
	observe_split();
	cr_expect(said("before-start", "runtime") && said("after-start", "program"),
		  "after create the container's process ran %s, after start %s; "
		  "expected the runtime's own file until start (it waits on the exec "
		  "fifo), the program after. " SEE_SPLIT,
		  oci("before-start"), oci("after-start"));
}

Test(split, start_runs_the_program)
{
	observe_split();
	cr_expect(said("start exit", "0") && said("before-start", "runtime") &&
		  printed("started") && said("exit", "3"),
		  "start exited %s; the program ran %s start and ended with %s "
		  "(it printed: %s); expected 0, after, and 3. " SEE_SPLIT,
		  oci("start exit"), said("before-start", "runtime") ? "after" : "before",
		  oci("exit"), their_output());
}

/* ---- The mounts of config.json ---- */

/* What the program reports: each mount's point, type and options. */
#define SHOW_MOUNTS "for m in /proc /tmp /mnt /mnt2 /mnt2/data; do " \
	"grep \" $m \" /proc/mounts | cut -d' ' -f2-4 | sed 's/^/mount /'; done; " \
	"cat /mnt/sub/hello >/dev/null && echo read mnt; " \
	"cat /mnt2/data/hello >/dev/null && echo read mnt2; touch /mnt/x"

static void observe_mounts(void)
{
	drive(data_scene, (const char *const[]){ "@oci", "--mounts", "--", "sh", "-c",
						 SHOW_MOUNTS, NULL });
}

/* Returns the "mount POINT TYPE OPTIONS" line of point, or NULL. */
static const char *mount_of(const char *point)
{
	char key[128];

	snprintf(key, sizeof(key), "| mount %s ", point);
	return run_find(&r, "output", key);
}

TestSuite(mounts, .timeout = 20);

Test(mounts, proc_is_mounted)
{
	observe_mounts();
	cr_expect(mount_of("/proc") != NULL && strstr(mount_of("/proc"), " proc ") != NULL,
		  "inside, /proc is %s; expected a proc file system, the first mount "
		  "config.json lists. The program printed: %s " SEE_MOUNTS,
		  ex_clean(mount_of("/proc")), their_output());
}

Test(mounts, tmpfs_with_its_options)
{
	const char *m;

	observe_mounts();
	m = mount_of("/tmp");
	cr_expect(m != NULL && strstr(m, " tmpfs ") != NULL && strstr(m, "nosuid") != NULL &&
		  strstr(m, "nodev") != NULL && strstr(m, "size=1024k") != NULL,
		  "inside, /tmp is %s; expected a tmpfs, nosuid and nodev (flags of "
		  "mount(2)), size=1024k (data, passed on). " SEE_MOUNTS, ex_clean(m));
}

Test(mounts, bind_read_only)
{
	const char *m;

	observe_mounts();
	m = mount_of("/mnt");
	cr_expect(m != NULL && strncmp(strrchr(m, ' '), " ro", 3) == 0 && printed("read mnt") &&
		  printed("touch: /mnt/x: Read-only file system"),
		  "inside, /mnt is %s, and the program printed: %s. Expected /data "
		  "bound there with its submounts (rbind), read-only: a bind ignores "
		  "MS_RDONLY, a remount then sets it. " SEE_MOUNTS, ex_clean(m),
		  their_output());
}

Test(mounts, mounts_in_order)
{
	observe_mounts();
	cr_expect(mount_of("/mnt2") != NULL && mount_of("/mnt2/data") != NULL &&
		  printed("read mnt2"),
		  "inside, /mnt2 is %s and /mnt2/data %s (the program printed: %s); "
		  "expected a tmpfs on /mnt2, then /data bound on /mnt2/data, in "
		  "config.json's order, so that the second is seen. " SEE_MOUNTS,
		  ex_clean(mount_of("/mnt2")), ex_clean(mount_of("/mnt2/data")),
		  their_output());
}

/* ---- The console socket ---- */

static void observe_console(void)
{
	drive(scene, (const char *const[]){ "@oci", "--terminal", "--", "sh", "-c",
					    "tty; cut -d' ' -f7 /proc/self/stat; echo end",
					    NULL });
}

/* Returns true if the program printed line on its terminal. */
static bool on_terminal(const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "oci console-out %s", line);
	return run_has(&r, "output", want);
}

TestSuite(console, .timeout = 20);

Test(console, master_sent_over_the_socket)
{
	observe_console();
	cr_expect(said("console fds", "1") && said("console master", "yes"),
		  "the console socket got %s descriptors, a terminal's master: %s; "
		  "expected one, in one SCM_RIGHTS message, the master of a pty. "
		  SEE_CONSOLE, oci("console fds"), oci("console master"));
}

Test(console, slave_is_the_program_s_terminal)
{
	observe_console();
	cr_expect(on_terminal("/dev/pts/0") && on_terminal("end"),
		  "through the master, the program's `tty` printed %s; expected "
		  "/dev/pts/0, the slave as its standard input, output and error "
		  "(it printed elsewhere: %s). " SEE_CONSOLE,
		  ex_list(&r, "output", "oci console-out"), their_output());
}

Test(console, slave_is_the_controlling_terminal)
{
	observe_console();
	cr_expect(on_terminal("/dev/pts/0") && !on_terminal("0") &&
		  run_find(&r, "output", "oci console-out ") != NULL,
		  "the program's controlling terminal (field 7 of /proc/self/stat) "
		  "was %s; expected a terminal: setsid(), then TIOCSCTTY on the slave. "
		  SEE_CONSOLE, ex_list(&r, "output", "oci console-out"));
}
