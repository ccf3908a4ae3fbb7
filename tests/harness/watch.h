/*
 * watch.h: the observer's half of the safety net: it keeps the program under
 * test within the sandbox's limits, and finds what the program leaves behind.
 *
 * The observer runs as PID 1 of the sandbox's PID namespace, so every
 * process the program starts, orphans included, is its descendant, a signal
 * sent to -1 from inside cannot reach it, and kill(-1, SIGKILL) from it ends
 * everything else.  See DEVELOPERS.md for the layers around it.
 */
#ifndef WATCH_H
#define WATCH_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* What one run may use, from the observer's options; 0 means no limit. */
struct limits {
	long nproc;		/* processes and threads in the sandbox */
	long memory;		/* bytes of address space, per process */
	long time_ms;		/* wall-clock time of the program */
	long files;		/* bytes in each of the sandbox's tmpfs */
};

/* One program being watched. */
struct watch {
	pid_t pid;		/* the program */
	int status;		/* its wait status, once ended */
	bool ended;		/* reaped */
	long long ended_at;	/* when, in ms on the monotonic clock */
	bool timed_out;		/* still running at the time limit */
	bool nproc_reached;	/* stopped at the process limit */
	bool held;		/* ended, but something else kept its stdout */
	bool outlived;		/* ended by itself while the probe still ran */
	long peak_tasks;	/* the most tasks seen at once in the sandbox */
	pid_t twin;		/* a second run of the program (--twin), or 0; */
	int twin_status;	/* its wait status, */
	bool twin_ended;	/* once reaped */
	/* Called with each line of the program's stdout, newline included. */
	void (*on_line)(struct watch *w, char *line);
};

/* Opens /proc for later (the program may unmount it) and remembers the file
 * at probe, to know the probe's processes by (those that run it or a copy
 * of it); dies if /proc cannot be read. */
void watch_init(const char *probe);

/* Sets RLIMIT_NPROC for the sandbox, the caller included, and the size of
 * the sandbox's tmpfs (/, /dev, /tmp), which are memory; dies on failure. */
void watch_limit_sandbox(const struct limits *l);

/* In the program's process, before it execs: sets RLIMIT_AS and a lower
 * priority (nice 10); dies on failure. */
void watch_limit_program(const struct limits *l);

/* Returns milliseconds on the monotonic clock. */
long long watch_now(void);

/* Records that the program ended with status (when something other than
 * watch_run reaped it). */
void watch_ended(struct watch *w, int status);

/* Reaps every child that has ended, without waiting; notes the program's
 * end, and its twin's. */
void watch_reap(struct watch *w);

/* Passes the program's stdout, line by line, to w->on_line until the
 * program has ended and its stdout is closed, or the time limit passes, or
 * the sandbox's tasks reach the process limit, or the program has ended but
 * something else still holds its stdout; reaps whatever ends meanwhile and
 * samples the number of tasks. */
void watch_run(struct watch *w, int from_stdout, const struct limits *l);

/* Prints "probe PID" for each process that runs the probe's file, or a copy. */
void watch_report_probes(FILE *out);

/* Prints "nsmount PID TARGET FSTYPE PROPAGATION" for every mount of each
 * probe's mount namespace, as a process that enters it sees them: from the
 * namespace's own root, not from the probe's, which chroot(2) may have
 * moved below it. */
void watch_report_probe_mounts(FILE *out);

/* Returns the pid of a process that runs the probe's file (or a copy), or 0. */
pid_t watch_probe(void);

/* Gives every other process of the sandbox up to grace_ms to end, reaping
 * them; returns how many tasks are left. */
long watch_settle(struct watch *w, long grace_ms);

/* Gives what the program left running a moment to end, then prints
 * "task PID COMM" for each process still there but the caller; returns how
 * many it printed. */
int watch_report_leftovers(FILE *out, struct watch *w);

/* Kills every other process in the PID namespace and reaps them all, the
 * program too if it has not ended. */
void watch_end_all(struct watch *w);

/* Returns the largest resident size, in KiB, of any process reaped so far
 * (itself or its descendants). */
long watch_peak_rss_kib(void);

#endif
