/*
 * report.h: what a process sees of its namespaces, printed one fact a line.
 *
 * Shared by the probe (inside the program under test) and the observer (the
 * sandbox's own view).  Each line is a key and its values, separated by
 * single spaces, so a test can find "link lo down" or "hostname myhostname".
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>
#include <sys/types.h>

/* Prints the calling process's view: ids, hostname, namespaces, interfaces,
 * addresses and routes, mounts, processes, System V message queues, and the
 * POSIX ones listed in /dev/mqueue.  A fact that cannot be read is printed
 * as "unreadable WHAT: REASON"; nothing here exits. */
void report_view(FILE *out);

/* Prints the network namespace's interfaces, "link NAME up|down", its
 * IPv4 addresses, "addr NAME A.B.C.D/PREFIX", and its IPv4 routes,
 * "route DEST/PREFIX [via GATEWAY] dev NAME" ("route default via ..."). */
void report_net(FILE *out);

/* Prints "KEY TARGET FSTYPE shared|slave|private" for each mount in, a
 * mountinfo file (proc(5)), lists. */
void report_mountinfo(FILE *out, FILE *in, const char *key);

/* Prints "task PID COMM UID GID", "taskns PID TYPE INODE dev MAJOR:MINOR", and the id maps
 * ("taskmap PID uid_map|gid_map INSIDE OUTSIDE COUNT", "tasksetgroups PID
 * allow|deny") for every descendant of root (root included), as this process
 * sees them. */
void report_tasks(FILE *out, pid_t root);

#endif
