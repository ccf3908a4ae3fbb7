/*
 * links.h: what the observer asks the kernel about links over rtnetlink
 * (libmnl): which are ports of a bridge, and when they run.  The probe's
 * report (report.h) cannot say: only netlink tells a link's master, and the
 * probe uses no library that the images of the later chapters would lack.
 */
#ifndef LINKS_H
#define LINKS_H

#include <stdio.h>

/* Prints "port NAME MASTER" for every interface of this network namespace
 * that has a master (a bridge it is plugged into); "unreadable ports:
 * REASON" if the kernel could not be asked. */
void report_ports(FILE *out);

/* Waits up to ms milliseconds until the kernel reports every link named in
 * names (NULL-terminated) operationally up, carrying packets; returns 0,
 * or -1 with errno set (ETIMEDOUT). */
int links_wait_up(const char *const names[], int ms);

#endif
