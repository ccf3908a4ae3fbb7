/*
 * cgview.h: the observer's side of the sandbox's cgroup (cgbox.h makes it
 * outside): its hierarchies mounted where this machine has them, the
 * sandbox's own processes kept in leaves, and what the cgroups of the
 * program's command show, read from their files.
 *
 * The root of each hierarchy, as mounted here, is the sandbox's own cgroup
 * (the cgroup namespace's root): its limits are the sandbox's, and only
 * root of the machine may change them.  The observer moves itself into
 * observer/ and starts the program in program/, so that the root holds no
 * process: on v2 only a cgroup without processes may share out controllers
 * (cgroup.subtree_control), and the program must be free to.
 */
#ifndef CGVIEW_H
#define CGVIEW_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Adds a hierarchy to mount, from the observer's option --cgroup
 * NAME:TYPE:OPTIONS (cgbox_mount_args()); returns 0, or -1 if spec is none. */
int cgview_add(const char *spec);

/* Returns true if the sandbox has a cgroup (cgview_add was called). */
bool cgview_on(void);

/* Mounts the hierarchies under /sys/fs/cgroup (a tmpfs there first, unless
 * a v2 tree takes /sys/fs/cgroup itself), makes observer/ and program/ in
 * each, and moves the caller into observer/.  Dies on failure. */
void cgview_setup(void);

/* In the program's process, before it execs: moves it into program/.
 * Dies on failure. */
void cgview_enter_program(void);

/* Prints "cglayout v2|v1|hybrid", then "cgroup NAME/PATH" for every folder
 * of every hierarchy below its root, in order. */
void cgview_report_tree(FILE *out);

/* Prints, for the process pid (the probe), "probecg NAME PATH" for its
 * folder in each hierarchy, then "cgfile NAME FILE VALUE" for the files
 * there that hold its limits, counters and events (VALUE on one line,
 * ", " for each newline).  With fork_check, also tries a fork from here:
 * "outside fork done" or "outside fork failed: REASON". */
void cgview_report_probe(FILE *out, pid_t pid, bool fork_check);

/* Measures the CPU use of pid's cgroups for ms milliseconds of wall-clock
 * time and prints "cpuwindow WALL_US usage USAGE_US throttled
 * THROTTLED_US": the use from cpuacct.usage (v1) or cpu.stat's usage_usec
 * (v2), the time the cpu controller held it back from cpu.stat; and
 * "cpuquota QUOTA PERIOD" as cpu.max or cpu.cfs_quota_us and
 * cpu.cfs_period_us say.  Prints "cpuwindow unreadable: REASON" when a
 * figure cannot be had. */
void cgview_cpu_window(FILE *out, pid_t pid, long ms);

/* Returns true if the sandbox's own memory limit was reached: its processes
 * together used all it may have ("max" or "oom" in memory.events.local on
 * v2; on v1, memory.max_usage_in_bytes or its memsw twin at the limit).
 * Prints "boxmemory LIMIT_BYTES reached|within" too. */
bool cgview_box_memory_reached(FILE *out);

#endif
