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
 *   --ping ADDR          send one ping to ADDR, waiting 1 s at most
 *   --connect ADDR:PORT  connect to ADDR:PORT over TCP, say a line and
 *                        print the answer: "heard ADDR:PORT ANSWER"
 *   --serve PORT         answer one TCP connection on PORT within 3 s and
 *                        print the line it was told: "served PORT LINE"
 *   --read FILE          read FILE (its first MiB: /dev/zero has no end)
 *   --write FILE         create FILE and write to it
 *   --stat PATH          print "stat PATH MAJOR:MINOR INODE TYPE" (type: dir,
 *                        file, char, link, fifo, socket, block), following
 *                        links
 *   --list DIR           print "entry DIR NAME" for each entry of DIR but
 *                        . and .., in order
 *   --write-own DIR      create DIR/own-INODE, INODE that of the probe's
 *                        mount namespace, so that two probes in two
 *                        namespaces write two names; print "own NAME"
 *   --meet NAME          wait up to 3 s for another probe to --meet NAME,
 *                        over an abstract socket of the network namespace
 *                        they share: when both have met, each has done what
 *                        came before
 *   --recv-msg KEY       take a message from the System V queue KEY (0x...)
 *                        and print it as "msg KEY TEXT"
 *   --make-mq NAME       create the POSIX message queue NAME ("/name")
 *   --orphan             leave an orphan: a grandchild whose parent has
 *                        exited, which ends at once; then wait up to 1 s for
 *                        whoever adopted it to reap it ("done orphan PID")
 *   --crash              die of SIGSEGV
 *   --creds              print its credentials, as its system calls report
 *                        them: ids, groups, capability sets, no_new_privs
 *                        and seccomp mode ("cred FIELD VALUE", powers.h)
 *   --try CALL           try the system call CALL in a child, with harmless
 *                        arguments, and print "try CALL ok", "try CALL
 *                        ERRNO" or "try CALL killed SIG" (powers.h)
 *   --hold               before exiting, wait for end of file on stdin, so
 *                        that the observer can look at it while it runs
 *
 * Exit status: 0, or 3 when an action failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "powers.h"
#include "report.h"
#include "talk.h"

extern char **environ;

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

/* Connects to where ("A.B.C.D:PORT"), says its line and prints the answer,
 * "heard WHERE ANSWER"; returns 0 or -1 with errno set. */
static int connect_to(const char *where)
{
	char reply[256];

	if (talk_connect(where, reply, sizeof(reply)) == -1)
		return -1;
	printf("heard %s %s\n", where, reply);
	return 0;
}

/* Answers one connection on port within 3 s and prints what it was told,
 * "served PORT LINE"; returns 0 or -1 with errno set. */
static int serve(const char *port)
{
	char line[256];
	int sock = talk_listen(atoi(port)), rc;

	if (sock == -1)
		return -1;
	rc = talk_answer(sock, 3000, line, sizeof(line));
	close(sock);
	if (rc == 0)
		printf("served %s %s\n", port, line);
	return rc;
}

/* Reads file to its end, or its first MiB; returns 0 or -1 with errno set. */
static int read_file(const char *file)
{
	char buf[4096];
	ssize_t n;
	size_t total = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0 && (total += (size_t)n) < 1 << 20)
		continue;
	close(fd);
	return n == -1 ? -1 : 0;
}

/* Creates file and writes a line to it; returns 0 or -1 with errno set. */
static int write_file(const char *file)
{
	static const char line[] = "written by the probe\n";
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = write(fd, line, sizeof(line) - 1);
	if (close(fd) == -1 || n == -1)
		return -1;
	return 0;
}

/* Prints "stat PATH MAJOR:MINOR INODE TYPE"; returns 0 or -1 with errno set. */
static int stat_path(const char *path)
{
	static const struct { mode_t mode; const char *name; } types[] = {
		{ S_IFDIR, "dir" }, { S_IFREG, "file" }, { S_IFCHR, "char" },
		{ S_IFLNK, "link" }, { S_IFIFO, "fifo" }, { S_IFSOCK, "socket" },
		{ S_IFBLK, "block" },
	};
	const char *type = "other";
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((st.st_mode & S_IFMT) == types[i].mode)
			type = types[i].name;
	printf("stat %s %u:%u %lu %s\n", path, major(st.st_dev), minor(st.st_dev),
	       (unsigned long)st.st_ino, type);
	return 0;
}

/* Prints "entry DIR NAME" for each entry of dir, in order; returns 0 or -1
 * with errno set. */
static int list_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n == -1)
		return -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0)
			printf("entry %s %s\n", dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* Creates dir/own-INODE, INODE its mount namespace's, and prints "own
 * NAME"; returns 0 or -1 with errno set. */
static int write_own(const char *dir)
{
	char path[4096];
	struct stat ns;

	if (stat("/proc/self/ns/mnt", &ns) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/own-%lu", dir, (unsigned long)ns.st_ino);
	if (write_file(path) == -1)
		return -1;
	printf("own own-%lu\n", (unsigned long)ns.st_ino);
	return 0;
}

/* Waits up to 3 s for another probe to meet under name: the first to come
 * listens on an abstract socket (a name in the network namespace, not in
 * any file system), the second connects; each then knows that the other
 * has done what came before.  Returns 0, or -1 with errno set. */
static int meet(const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
			 "workbook-probe-%s", name);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	struct timeval limit = { 3, 0 };
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), peer = -1;
	char byte = 1;
	int rc = -1;

	if (sock == -1)
		return -1;
	if (bind(sock, (struct sockaddr *)&addr, len) == 0) {
		struct pollfd p = { sock, POLLIN, 0 };
		int ready = listen(sock, 1) == 0 ? poll(&p, 1, 3000) : -1;

		if (ready == 0)
			errno = ETIMEDOUT;
		if (ready == 1 &&
		    (peer = accept4(sock, NULL, NULL, SOCK_CLOEXEC)) != -1 &&
		    write(peer, &byte, 1) == 1)
			rc = 0;
	} else if (errno == EADDRINUSE) {
		/* The first may have bound its name and not yet listen()ed. */
		for (int tries = 0; tries < 300; tries++) {
			if (connect(sock, (struct sockaddr *)&addr, len) == 0) {
				rc = 0;
				break;
			}
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		}
		if (rc == 0 && (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &limit,
					   sizeof(limit)) == -1 ||
				read(sock, &byte, 1) != 1))
			rc = -1;
	}
	if (peer != -1)
		close(peer);
	close(sock);
	return rc;
}

/* Takes one message from the System V queue whose key is text (0x...),
 * without waiting, and prints it as "msg KEY TEXT"; returns 0 or -1. */
static int recv_msg(const char *text)
{
	static struct { long type; char text[8193]; } msg;
	key_t key = (key_t)strtoul(text, NULL, 0);
	ssize_t n;
	int id = msgget(key, 0);

	if (id == -1)
		return -1;
	n = msgrcv(id, &msg, sizeof(msg.text) - 1, 0, IPC_NOWAIT);
	if (n == -1)
		return -1;
	msg.text[n] = '\0';
	msg.text[strcspn(msg.text, "\n")] = '\0';
	printf("msg %s %s\n", text, msg.text);
	return 0;
}

/* Creates the POSIX message queue name; returns 0 or -1 with errno set. */
static int make_mq(const char *name)
{
	mqd_t q = mq_open(name, O_CREAT | O_RDWR | O_CLOEXEC, 0600, NULL);

	if (q == (mqd_t)-1)
		return -1;
	return mq_close(q);
}

/* Returns the state letter of /proc/PID ('Z' for a zombie), or 0 once the
 * process is gone. */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *end;
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	in = fopen(path, "re");
	if (in == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), in) == NULL)
		buf[0] = '\0';
	fclose(in);
	end = strrchr(buf, ')');
	return end != NULL && end[1] == ' ' ? end[2] : '?';
}

/* Leaves an orphan, then waits up to 1 s for it to be reaped; prints the
 * outcome.  Returns 0 if it was reaped. */
static int orphan(void)
{
	int fds[2];
	pid_t middle, grandchild = -1;
	char state = '?';

	if (pipe2(fds, O_CLOEXEC) == -1)
		return outcome(-1, "orphan", "pipe2");
	fflush(stdout);
	middle = fork();
	if (middle == -1)
		return outcome(-1, "orphan", "fork");
	if (middle == 0) {
		/* The grandchild outlives its parent by 50 ms: long enough
		 * to be adopted, then ends and waits to be reaped.  Both are
		 * named apart from the probe itself, whose end the observer
		 * watches for. */
		pid_t g;

		prctl(PR_SET_NAME, "probe-orphan");
		g = fork();

		if (g == 0) {
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
			_exit(0);
		}
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (waitpid(middle, NULL, 0) == -1 ||
	    read(fds[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild) ||
	    grandchild <= 0) {
		close(fds[0]);
		return outcome(-1, "orphan", "fork");
	}
	close(fds[0]);
	for (int ms = 0; ms < 1000; ms += 10) {
		state = state_of(grandchild);
		if (state == 0) {
			printf("done orphan %d\n", grandchild);
			return 0;
		}
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	printf("failed orphan %d: still there after 1 s, state %c%s\n",
	       grandchild, state, state == 'Z' ? " (a zombie no one reaped)" : "");
	return 1;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "sethostname", required_argument, NULL, 'h' },
		{ "mount-tmpfs", required_argument, NULL, 'm' },
		{ "umount", required_argument, NULL, 'u' },
		{ "add-bridge", required_argument, NULL, 'b' },
		{ "make-msgq", no_argument, NULL, 'q' },
		{ "ping", required_argument, NULL, 'p' },
		{ "connect", required_argument, NULL, 'C' },
		{ "serve", required_argument, NULL, 'S' },
		{ "read", required_argument, NULL, 'r' },
		{ "write", required_argument, NULL, 'W' },
		{ "stat", required_argument, NULL, 's' },
		{ "list", required_argument, NULL, 'l' },
		{ "write-own", required_argument, NULL, 'O' },
		{ "meet", required_argument, NULL, 'e' },
		{ "recv-msg", required_argument, NULL, 'R' },
		{ "make-mq", required_argument, NULL, 'M' },
		{ "orphan", no_argument, NULL, 'o' },
		{ "crash", no_argument, NULL, 'c' },
		{ "creds", no_argument, NULL, 'P' },
		{ "try", required_argument, NULL, 'T' },
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
		case 'p':
			failed |= outcome(talk_ping(optarg), "ping", optarg);
			break;
		case 'C':
			failed |= outcome(connect_to(optarg), "connect", optarg);
			break;
		case 'S':
			failed |= outcome(serve(optarg), "serve", optarg);
			break;
		case 'r':
			failed |= outcome(read_file(optarg), "read", optarg);
			break;
		case 'W':
			failed |= outcome(write_file(optarg), "write", optarg);
			break;
		case 's':
			if (stat_path(optarg) == -1)
				failed |= outcome(-1, "stat", optarg);
			break;
		case 'l':
			if (list_dir(optarg) == -1)
				failed |= outcome(-1, "list", optarg);
			break;
		case 'O':
			if (write_own(optarg) == -1)
				failed |= outcome(-1, "write-own", optarg);
			break;
		case 'e':
			failed |= outcome(meet(optarg), "meet", optarg);
			break;
		case 'R':
			failed |= outcome(recv_msg(optarg), "recv-msg", optarg);
			break;
		case 'M':
			failed |= outcome(make_mq(optarg), "make-mq", optarg);
			break;
		case 'o':
			failed |= orphan();
			break;
		case 'c':
			fflush(stdout);
			raise(SIGSEGV);
			/* PID 1 of a namespace ignores even SIGSEGV when it is
			 * sent; a real fault cannot be ignored. */
			*(volatile int *)NULL = 0;
			break;
		case 'P':
			powers_report_own(stdout);
			break;
		case 'T':
			errno = EINVAL;	/* no call of that name to try */
			if (powers_try(stdout, optarg) == -1)
				failed |= outcome(-1, "try", optarg);
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
