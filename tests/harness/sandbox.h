/*
 * sandbox.h: run a program under test where it cannot reach the machine,
 * and read what the observer and the probe saw.
 *
 * A run starts bubblewrap: a new user namespace whose root is an unprivileged
 * uid outside (a spare uid when we are root, our own otherwise), new mount,
 * pid, net, uts, ipc and cgroup namespaces, a tmpfs root with /usr and /etc
 * read-only, its own /proc, /dev and /tmp; where this machine gives one, a
 * cgroup of its own (cgbox.h), mounted at /sys/fs/cgroup.  Inside, the observer (observer.c)
 * prepares the scene and runs the program, usually with the probe as its
 * command.  Time, processes, memory and output are limited; everything the
 * run started dies with it.  DEVELOPERS.md tells how the layers fit.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

struct run {
	int status;		/* bubblewrap's wait status */
	bool timed_out;		/* killed at the time limit */
	bool unreported;	/* the sandbox itself did not end in time */
	bool out_limited;	/* killed at the output limit */
	char *out;		/* everything printed to stdout */
	char *err;		/* everything printed to stderr */
	int exit_code;		/* the program's, from "== status": 0-255, */
	int signal;		/* or the signal that killed it, else 0 */
	bool observed;		/* the observer reported the program's end */
	bool probed;		/* the probe printed its whole report (with
				 * --hold: and the observer saw it run) */
	bool forged;		/* a report came, but no probe ran */
	bool outlived;		/* the program ended by itself while its
				 * command, the probe, still ran */
	long nproc_peak;	/* the process limit was reached: the peak, */
	long memory_peak_kib;	/* the memory limit: the largest size seen, */
	bool memory_cgroup;	/* the sandbox's cgroup's limit, not a process's */
	int leftovers;		/* processes still running after the program */
	size_t nlines;		/* out, split into lines, each tagged */
	struct run_line {	/* with the section it is in */
		const char *section;
		char *text;
	} *lines;
};

/* Returns the program under test: $PROGRAM if set, else the worked program
 * build/bin/NAME. */
const char *program_under_test(const char *name);

/* WORKBOOK_TIME_SCALE, a whole number: where everything runs that many
 * times slower than here, as under emulation in the test VM, the limits in
 * time are that many times longer (the messages name them as they are
 * here, so that a grade reads the same).  1 when unset. */
int sandbox_time_scale(void);

/* Runs program in a new sandbox: "observer SCENE... -- /box/NAME ARGS...",
 * where scene and args are NULL-terminated lists (scene may be NULL) and
 * "@probe" in args stands for the probe's path inside, "@NAME" for that of
 * a copy of the tool build/tests/NAME (the escape, say).  Two scene words
 * are for the test process, not the observer: "--no-cgroup" (the sandbox
 * gets no cgroup, as where none can be had) and "--cgroup-lacks NAME" (its
 * cgroup has no controller NAME, as on a machine without it).  Fills *r;
 * aborts the test (cr_fail) when the sandbox itself cannot start. */
void sandbox_run(struct run *r, const char *program, const char *const scene[],
		 const char *const args[]);

/* Returns NULL if the sandbox gets a cgroup of its own on this machine, else
 * why not and what would give it one (for cr_skip_test). */
const char *sandbox_cgroup_missing(void);

/* Returns the value of the first line "KEY VALUE" in section ("before",
 * "inside", "during", "after"), or NULL. */
const char *run_get(const struct run *r, const char *section, const char *key);

/* Returns why the run broke the sandbox's rules, in words for a student:
 * the time, process, memory or output limit, a process left behind, or a
 * report the program printed itself; NULL if it broke none. */
const char *run_limit(const struct run *r);

/* Returns, in words for a student, why the program ended while its command
 * still ran (it did not wait, or could not: a child cloned without
 * SIGCHLD), with its exit status; NULL if it did not. */
const char *run_outlived(const struct run *r);

/* Returns true if the only rule the run broke is leaving a process behind:
 * then the program's own error, when it printed one, says more. */
bool run_only_left_behind(const struct run *r);

/* Fails the test, with the program's stderr, unless the observer saw the
 * program end within the sandbox's rules (run_limit) and the probe print
 * its whole report inside it. */
void expect_probe_ran(const struct run *r);

/* Returns the inode of the probe's namespace of type ("net", "mnt", ...) as
 * the observer saw it (not as the probe said), or NULL. */
const char *run_probe_ns(const struct run *r, const char *type);

/* Fails the test unless the probe's namespace of type ("net", "mnt", ...),
 * as the observer saw it, differs from the observer's; see names the
 * chapter section to read. */
void expect_new_namespace(const struct run *r, const char *type,
			  const char *see);

/* Returns the first line of section that starts with prefix, or NULL. */
const char *run_find(const struct run *r, const char *section,
		     const char *prefix);

/* Returns true if section holds a line equal to line. */
bool run_has(const struct run *r, const char *section, const char *line);

/* Returns how many lines of section start with "KEY ". */
int run_count(const struct run *r, const char *section, const char *key);

/* Returns the lines of section that start with "KEY ", joined with ", " and
 * without the key: for failure messages ("lo down, veth-host down"). */
const char *run_list(const struct run *r, const char *section, const char *key);

/* Returns how many lines "KEY [PID] TARGET ..." of section ("mount",
 * "nsmount") show a mount whose TARGET ends in one of the NULL-terminated
 * names ("usr": /usr, or /.old-root/usr): the machine's own folders, seen
 * wherever a pivot left them. */
int run_count_mounts_named(const struct run *r, const char *section,
			   const char *key, const char *const names[]);

/* Returns the value of the probe's cgroup file file ("memory.max") as the
 * observer read it while the probe held ("cgfile NAME FILE VALUE" in
 * "== during"), or NULL. */
const char *run_cgfile(const struct run *r, const char *file);

/* Returns true if the sandbox's cgroup folders were the same once the
 * program had ended ("== after") as before it ran. */
bool run_cgroups_unchanged(const struct run *r);

/* Returns the outer pid of the first "during" task named comm, or NULL. */
const char *run_task(const struct run *r, const char *comm);

#endif
