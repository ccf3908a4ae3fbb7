/*
 * scene.h: what the observer sets up for the exercises' tests beyond the
 * chapters' scenes: calls refused, a slow and logged ip(8), stop signals
 * sent right at the start.  Each is an observer option (observer.c lists
 * them); the observer is PID 1 of the sandbox and calls these there.
 * A few files are watched as they are opened, too.
 */
#ifndef SCENE_H
#define SCENE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "watch.h"

/* In the program's process, before it execs: makes each system call named
 * in calls (NULL-terminated) fail with EPERM, for the program and all it
 * starts, through a seccomp filter (libseccomp).  Dies if a name is unknown
 * or the filter cannot be loaded. */
void scene_deny(const char *const calls[]);

/* Starts the tracer: a process that watches which files the program opens
 * (--trace-open) and logs those whose names end in /uid_map, /gid_map or
 * /setgroups, and the calls by which it changes what it may do
 * (--trace-powers).  Returns its pid, and in *sock the end of a socket that
 * the program's process hands to scene_trace_program().  Dies on failure. */
pid_t scene_trace_start(int *sock);

/* In the program's process, before it execs: makes the calls that the
 * tracer watches (open(2), openat(2) and openat2(2) if opens; those of
 * --trace-powers, observer.c lists them, if powers) of the program and all
 * it starts wait for the tracer, which logs them and lets them go on
 * unchanged (a seccomp filter whose action is to notify).  Dies on
 * failure. */
void scene_trace_program(int sock, bool opens, bool powers);

/* Makes the tracer watch, instead of the id maps, the files that move a
 * process into a cgroup or set its limits (cgroup.procs,
 * cgroup.subtree_control, memory.max and the other limits of v2 and v1),
 * and every execve(2), logged "exec PID PATH" (--trace-cgroup).  The
 * first limit opened for writing waits 500 ms before it opens: a program
 * that lets its command go before it writes the limits is seen to, its
 * command's execve() in the log before them, however fast it is.  Call it
 * before scene_trace_start(). */
void scene_trace_cgroups(void);

/* Prints the tracer's log, in the order the calls were made: "open PID
 * PATH read|write" for each file named above, "power PID CALL ARG..." for
 * each call of --trace-powers, and with scene_trace_cgroups() "exec PID
 * PATH" for each program started. */
void scene_report_trace(FILE *out);

/* Starts argv (the program, then its command and the command's arguments)
 * a few times, with its output discarded and the command holding; each
 * time, stops the command at its execve(2), before the kernel has reset its
 * signal handlers, sends the program sig, and lets the execve go on once
 * the command has died or after 2 s.  A command that still has a handler
 * of its parent's there loses the signal every time.  Stops at the first
 * trial in which the program had not ended 2 s later ("lost"), or died of
 * the signal itself ("killed"), and prints "early SIG TRIALS lost 0|1
 * killed 0|1".  Kills each trial's processes before the next; call it as
 * PID 1 of the sandbox, before the program's own run. */
void scene_early_signal(char *argv[], int sig, const struct limits *l);

/* Puts a wrapper over ip(8): each call is logged, and `ip link add` waits
 * delay_ms before it runs, so that a program that does not wait for it is
 * seen not to.  Dies if it cannot. */
void scene_slow_ip(long delay_ms);

/* Prints the log of the wrapped ip(8): "ip start PID PPID MS ARGS..." when
 * a call began and "ip end PID STATUS MS" when it ended (MS: milliseconds
 * since boot, to 10 ms).  Prints nothing when ip was not wrapped. */
void scene_report_ip(FILE *out);

/* Makes a small network that has settled, for a listing to be compared
 * with ip(8)'s: lan0 and lan1, a veth pair, both up, lan0 with
 * 192.0.2.1/24 and 2001:db8::1/64, lan1 with 192.0.2.2/24, and no
 * link-local addresses (they would come a moment after); and a bridge,
 * lan-br, down.  Returns once the kernel reports lan0 and lan1 running;
 * dies if it cannot. */
void scene_lan(void);

#endif
