/*
 * powers.h: what a process may do, for the probe and the observer: its
 * credentials, and system calls tried to see which are refused.
 *
 * Both sides print credentials in the words of /proc/PID/status, one line
 * each, "cred FIELD VALUE...": the probe as it learns them from system
 * calls (getresuid, capget, prctl), the observer as it reads them from
 * that file.  A test compares the two; neither trusts the program under
 * test.
 */
#ifndef POWERS_H
#define POWERS_H

#include <stdio.h>
#include <sys/types.h>

/* Prints the caller's own credentials, from system calls: "cred Uid R E S
 * FS" and "cred Gid R E S FS" (real, effective, saved, file system), "cred
 * Groups G..." (the supplementary groups, none: "cred Groups"), "cred
 * CapInh|CapPrm|CapEff|CapBnd|CapAmb HEX" (16 hex digits, as in the
 * file), "cred NoNewPrivs 0|1" and "cred Seccomp 0|2" (2: a filter). */
void powers_report_own(FILE *out);

/* Prints the same lines for process pid, read from /proc/PID/status; the
 * ids as the reader's user namespace sees them.  Prints "unreadable
 * status PID: REASON" if it cannot. */
void powers_report_status(FILE *out, pid_t pid);

/* Tries the system call called name in a child process, so that whatever
 * it does dies with the child, and prints "try NAME ok", "try NAME ERRNO"
 * ("EPERM", "ENOSYS"...) or "try NAME killed SIG" ("SYS": by a seccomp
 * filter).  The arguments are harmless ones (a tmpfs on /tmp, a user
 * namespace, a reboot with the wrong magic number); powers.c lists them.
 * Returns 0, or -1 if name is no call it knows. */
int powers_try(FILE *out, const char *name);

#endif
