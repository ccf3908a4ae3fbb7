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
 * mounts, processes, System V message queues.  A fact that cannot be read is
 * printed as "unreadable WHAT: REASON"; nothing here exits. */
void report_view(FILE *out);

/* Prints "task PID COMM UID GID" and "taskns PID TYPE INODE" for every
 * descendant of root (root included), as this process sees them. */
void report_tasks(FILE *out, pid_t root);

#endif
