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
 *   --daemon             leave a daemon: a grandchild in a session of its
 *                        own, its descriptors closed, whose parent has
 *                        exited, and which waits 10 s before it ends
 *   --crash              die of SIGSEGV
 *   --cgroup             look at its own cgroups, as the root of its cgroup
 *                        namespace: print "cgself LINE" for each line of
 *                        /proc/self/cgroup, then, in a mount namespace of
 *                        its own where each cgroup hierarchy is mounted
 *                        afresh, "cglimit FILE VALUE" for each limit file
 *                        at the top (memory.max, pids.max, cpu.max and
 *                        their v1 twins)
 *   --forks N            fork up to N children that wait until the probe
 *                        ends; print "forked K", and "failed fork: REASON"
 *                        if fork() failed before N
 *   --creds              print its credentials, as its system calls report
 *                        them: ids, groups, capability sets, no_new_privs
 *                        and seccomp mode ("cred FIELD VALUE", powers.h)
 *   --try CALL           try the system call CALL in a child, with harmless
 *                        arguments, and print "try CALL ok", "try CALL
 *                        ERRNO" or "try CALL killed SIG" (powers.h)
 *   --hold               before exiting, wait for end of file on stdin, so
 *                        that the observer can look at it while it runs
 *   --spin               hold as --hold does, spinning on the CPU meanwhile
 *   --eat MIB            last of all, after the hold: take MIB MiB of memory,
 *                        one at a time, touching every page; "done eat MIB"
 *                        if it is still alive then
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
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

/* Leaves a daemon that outlives the probe by 10 s, unless killed; returns 0,
 * or 1 with a message. */
static int daemon_left(void)
{
	pid_t middle;

	fflush(stdout);
	middle = fork();
	if (middle == -1)
		return outcome(-1, "daemon", "fork");
	if (middle == 0) {
		if (fork() == 0) {
			prctl(PR_SET_NAME, "probe-daemon");
			setsid();
			for (int fd = 0; fd < 1024; fd++)
				close(fd);
			nanosleep(&(struct timespec){ 10, 0 }, NULL);
		}
		_exit(0);
	}
	if (waitpid(middle, NULL, 0) == -1)
		return outcome(-1, "daemon", "waitpid");
	return outcome(0, "daemon", "left");
}

/* Prints "cgself LINE" for each line of /proc/self/cgroup; then, in a mount
 * namespace of its own, mounts each cgroup hierarchy afresh where it was,
 * so that its top is this process's cgroup namespace's root, and prints
 * "cglimit FILE VALUE" for each limit file there.  Returns 0, or -1 with
 * errno set. */
static int look_at_cgroups(void)
{
	static const char *const limits[] = {
		"memory.max", "memory.swap.max", "memory.limit_in_bytes",
		"memory.memsw.limit_in_bytes", "pids.max", "cpu.max",
		"cpu.cfs_quota_us", "cpu.cfs_period_us",
	};
	static struct { char mnt[4096], controllers[128]; bool v2; } found[16];
	char line[4096], mnt[4096], type[32], opts[256], path[4200], value[256];
	FILE *in = fopen("/proc/self/cgroup", "re");
	int n = 0;

	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL)
		printf("cgself %s", line);
	fclose(in);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return -1;
	/* Every cgroup mount first: the new mounts would join the list. */
	in = fopen("/proc/self/mountinfo", "re");
	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL && n < 16) {
		char *dash = strstr(line, " - ");

		if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash, " - %31s %*s %255s", type, opts) != 2 ||
		    (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0))
			continue;
		found[n].v2 = strcmp(type, "cgroup2") == 0;
		snprintf(found[n].mnt, sizeof(found[n].mnt), "%s", mnt);
		found[n].controllers[0] = '\0';
		/* v1: the controllers, without "rw" and the like. */
		for (char *save = NULL, *w = strtok_r(opts, ",", &save); w != NULL;
		     w = strtok_r(NULL, ",", &save))
			if (strcmp(w, "memory") == 0 || strcmp(w, "pids") == 0 ||
			    strcmp(w, "cpu") == 0 || strcmp(w, "cpuacct") == 0)
				snprintf(found[n].controllers + strlen(found[n].controllers),
					 sizeof(found[n].controllers) -
					 strlen(found[n].controllers), "%s%s",
					 found[n].controllers[0] ? "," : "", w);
		n += found[n].v2 || found[n].controllers[0] != '\0';
	}
	fclose(in);
	for (int k = 0; k < n; k++) {
		/* The kernel refuses a file system on the folder it is mounted
		 * on already (EBUSY): a tmpfs goes between. */
		if (mount("tmpfs", found[k].mnt, "tmpfs", 0, "size=4k") == -1 ||
		    mount("cgroup", found[k].mnt, found[k].v2 ? "cgroup2" : "cgroup",
			  0, found[k].v2 ? NULL : found[k].controllers) == -1)
			return -1;
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			ssize_t got;
			int fd;

			snprintf(path, sizeof(path), "%.4000s/%s", found[k].mnt, limits[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd == -1)
				continue;
			got = read(fd, value, sizeof(value) - 1);
			close(fd);
			if (got <= 0)
				continue;
			value[got] = '\0';
			value[strcspn(value, "\n")] = '\0';
			printf("cglimit %s %s\n", limits[i], value);
		}
	}
	return 0;
}

/* Forks up to n children that wait, blocked on a pipe, until the probe
 * ends; prints "forked K" and, if fork() failed first, why.  Returns 0 if
 * all n were made. */
static int forks(long n)
{
	int fds[2];
	long made = 0;
	int rc = 0;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return outcome(-1, "forks", "pipe2");
	fflush(stdout);
	for (; made < n; made++) {
		pid_t pid = fork();
		char c;

		if (pid == -1) {
			printf("failed fork: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (pid == 0) {
			/* Named apart from the probe, whose end the observer
			 * watches for. */
			prctl(PR_SET_NAME, "probe-child");
			close(fds[1]);
			while (read(fds[0], &c, 1) > 0)
				continue;
			_exit(0);
		}
	}
	close(fds[0]);	/* the write end stays open until the probe ends */
	printf("forked %ld\n", made);
	return rc;
}

/* Takes mib MiB of memory, a MiB at a time, touching every page; prints
 * "done eat MIB" if it got it all (a limit that holds kills it first). */
static int eat(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return outcome(-1, "eat", "mmap");
		memset(p, 1, 1 << 20);
	}
	printf("done eat %ld\n", mib);
	fflush(stdout);
	return 0;
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
		{ "daemon", no_argument, NULL, 'D' },
		{ "cgroup", no_argument, NULL, 'g' },
		{ "forks", required_argument, NULL, 'f' },
		{ "creds", no_argument, NULL, 'P' },
		{ "try", required_argument, NULL, 'T' },
		{ "hold", no_argument, NULL, 'w' },
		{ "spin", no_argument, NULL, 'x' },
		{ "eat", required_argument, NULL, 'E' },
		{ 0 },
	};
	int failed = 0, hold = 0, spin = 0, opt;
	long mib = 0;

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
		case 'D':
			failed |= daemon_left();
			break;
		case 'g':
			if (look_at_cgroups() == -1)
				failed |= outcome(-1, "cgroup", "view");
			break;
		case 'f':
			failed |= forks(atol(optarg));
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
		case 'x':
			hold = spin = 1;
			break;
		case 'E':
			mib = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: probe [--ACTION ARG]... [--hold]\n");
			return 2;
		}
	}
	printf("== end inside\n");
	fflush(stdout);

	if (spin && fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK) == -1)
		spin = 0;
	if (hold) {
		char buf[256];
		ssize_t n;

		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 ||
		       (n == -1 && spin && errno == EAGAIN))
			continue;
	}
	if (mib > 0)
		failed |= eat(mib);
	return failed ? 3 : 0;
}
