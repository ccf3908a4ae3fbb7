/*
 * probe.c: the command the tests run inside the program under test.
 *
 *     usage: probe [--ACTION ARG]... [--hold]
 *
 * Prints what it sees (report.h) between "== inside" and "== end inside",
 * then, in the order given, does what its options ask and reports each as
 * "done ACTION" or "failed ACTION: REASON":
 *
 *   --sethostname NAME   set the hostname of the UTS namespace it is in
 *   --mount-tmpfs DIR    mount a tmpfs on DIR (made if missing)
 *   --umount DIR         detach the mount on DIR
 *   --add-bridge NAME    create a network interface (a bridge)
 *   --make-msgq          create a System V message queue
 *   --crash              die of SIGSEGV
 *   --hold               before exiting, wait for end of file on stdin, so
 *                        that the observer can look at it while it runs
 *
 * Exit status: 0, or 3 when an action failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* Prints the outcome of one action; returns 0 if it succeeded. */
static int outcome(int rc, const char *action, const char *arg)
{
	if (rc == -1) {
		printf("failed %s %s: %s\n", action, arg, strerror(errno));
		return 1;
	}
	printf("done %s %s\n", action, arg);
	return 0;
}

/* Creates a bridge named name; returns 0 or -1 with errno set. */
static int add_bridge(const char *name)
{
	int sock = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (sock == -1)
		return -1;
	rc = ioctl(sock, SIOCBRADDBR, name);
	close(sock);
	return rc;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "sethostname", required_argument, NULL, 'h' },
		{ "mount-tmpfs", required_argument, NULL, 'm' },
		{ "umount", required_argument, NULL, 'u' },
		{ "add-bridge", required_argument, NULL, 'b' },
		{ "make-msgq", no_argument, NULL, 'q' },
		{ "crash", no_argument, NULL, 'c' },
		{ "hold", no_argument, NULL, 'w' },
		{ 0 },
	};
	int failed = 0, hold = 0, opt;

	printf("== inside\n");
	report_view(stdout);

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			failed |= outcome(sethostname(optarg, strlen(optarg)),
					  "sethostname", optarg);
			break;
		case 'm':
			if (mkdir(optarg, 0755) == -1 && errno != EEXIST)
				failed |= outcome(-1, "mkdir", optarg);
			failed |= outcome(mount("tmpfs", optarg, "tmpfs", 0, NULL),
					  "mount-tmpfs", optarg);
			break;
		case 'u':
			failed |= outcome(umount2(optarg, MNT_DETACH), "umount",
					  optarg);
			break;
		case 'b':
			failed |= outcome(add_bridge(optarg), "add-bridge", optarg);
			break;
		case 'q':
			failed |= outcome(msgget(IPC_PRIVATE, IPC_CREAT | 0600),
					  "make-msgq", "private");
			break;
		case 'c':
			fflush(stdout);
			raise(SIGSEGV);
			/* PID 1 of a namespace ignores even SIGSEGV when it is
			 * sent; a real fault cannot be ignored. */
			*(volatile int *)NULL = 0;
			break;
		case 'w':
			hold = 1;
			break;
		default:
			fprintf(stderr, "usage: probe [--ACTION ARG]... [--hold]\n");
			return 2;
		}
	}
	printf("== end inside\n");
	fflush(stdout);

	if (hold) {
		char buf[256];

		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			continue;
	}
	return failed ? 3 : 0;
}
