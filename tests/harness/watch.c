/*
 * watch.c: keep the program under test within its limits (see watch.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "report.h"
#include "watch.h"

enum {
	SAMPLE_MS = 50,		/* how often the tasks are counted */
	HOLD_GRACE_MS = 200,	/* how long stdout may outlive the program */
	LEFTOVER_GRACE_MS = 500,	/* how long the rest may take to end */
	NPROC_MARGIN = 16,	/* this close to the process limit is at it */
	LINE_MAX_BYTES = 65536,	/* a longer line is passed on in pieces */
	DRAIN_MAX_BYTES = 1 << 20,	/* read after the end, at most */
};

static int proc_fd = -1;	/* /proc, as it was before the program ran */
static struct stat probe_file;	/* the probe's binary */
static const char *probe_path;
static bool probe_known;

void watch_init(const char *probe)
{
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd == -1)
		die("open /proc");
	probe_known = stat(probe, &probe_file) == 0;
	probe_path = probe;
}

/* Remounts the tmpfs at path with room for size bytes, its other flags
 * kept; dies on failure. */
static void limit_tmpfs(const char *path, long size)
{
	static const struct { unsigned long st, ms; } flags[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID },
		{ ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	unsigned long keep = 0;
	struct statvfs vfs;
	char size_opt[32];

	if (statvfs(path, &vfs) == -1)
		die("statvfs %s", path);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (vfs.f_flag & flags[i].st)
			keep |= flags[i].ms;
	snprintf(size_opt, sizeof(size_opt), "size=%ld", size);
	if (mount(NULL, path, NULL, MS_REMOUNT | keep, size_opt) == -1)
		die("mount %s MS_REMOUNT %s", path, size_opt);
}

void watch_limit_sandbox(const struct limits *l)
{
	/* Files in a tmpfs are memory that no process owns: RLIMIT_AS does
	 * not count them, and RLIMIT_FSIZE only bounds each file. */
	static const char *const tmpfs[] = { "/", "/dev", "/tmp" };

	for (size_t i = 0; l->files > 0 && i < sizeof(tmpfs) / sizeof(tmpfs[0]); i++)
		limit_tmpfs(tmpfs[i], l->files);
	/* The count is kept per user in each user namespace, and a
	 * namespace's processes count against its creator's limit too: set
	 * here, it bounds the sandbox whether the uid outside is a spare one
	 * or the caller's, whose other processes it does not count. */
	struct rlimit nproc = { (rlim_t)l->nproc, (rlim_t)l->nproc };

	if (l->nproc > 0 && setrlimit(RLIMIT_NPROC, &nproc) == -1)
		die("setrlimit RLIMIT_NPROC %ld", l->nproc);
}

void watch_limit_program(const struct limits *l)
{
	/* Address space, not resident memory: the one limit every kernel
	 * enforces without a cgroup.  A program past it sees malloc() fail. */
	struct rlimit as = { (rlim_t)l->memory, (rlim_t)l->memory };

	if (l->memory > 0 && setrlimit(RLIMIT_AS, &as) == -1)
		die("setrlimit RLIMIT_AS %ld", l->memory);
	/* The program and all it starts share the CPU with us (the sandbox is
	 * one session, one scheduling group): a lower priority keeps the
	 * observer on time under a fork bomb. */
	if (setpriority(PRIO_PROCESS, 0, 10) == -1)
		die("setpriority 10");
}

long long watch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void watch_ended(struct watch *w, int status)
{
	w->status = status;
	w->ended = true;
	w->ended_at = watch_now();
}

static int find_probes(FILE *out, pid_t *first, bool command_only);

/* Notes that pid ended with status, if it is the program (and whether its
 * command, the probe, still ran then: unless a twin runs, whose probe
 * would count too) or its twin. */
static void note_end(struct watch *w, pid_t pid, int status)
{
	if (pid == w->pid) {
		w->outlived = w->twin == 0 && find_probes(NULL, NULL, true) > 0;
		watch_ended(w, status);
	} else if (w->twin > 0 && pid == w->twin) {
		w->twin_status = status;
		w->twin_ended = true;
	}
}

void watch_reap(struct watch *w)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		note_end(w, pid, status);
}

/* Opens /proc afresh (a directory stream cannot be rewound safely across
 * processes coming and going); returns NULL if it cannot. */
static DIR *open_proc(void)
{
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd == -1 ? NULL : fdopendir(fd);

	if (dir == NULL && fd != -1)
		close(fd);
	return dir;
}

/* Returns the pid named by a /proc entry, or 0 if it names none or us. */
static pid_t entry_pid(const struct dirent *d)
{
	char *end;
	long pid = strtol(d->d_name, &end, 10);

	return *end == '\0' && pid > 0 && pid != getpid() ? (pid_t)pid : 0;
}

/* Reads the first line of /proc/PID/NAME into buf; returns 0, or -1. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/%s", pid, name);
	fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Returns the number of tasks (threads) in the sandbox, but ours. */
static long count_tasks(void)
{
	DIR *dir = open_proc();
	struct dirent *d;
	char stat[512], *end;
	long tasks = 0, threads;
	pid_t pid;

	if (dir == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if ((pid = entry_pid(d)) == 0)
			continue;
		/* "PID (COMM) STATE" and 16 more fields, then num_threads. */
		threads = 1;
		if (read_proc(pid, "stat", stat, sizeof(stat)) == 0 &&
		    (end = strrchr(stat, ')')) != NULL)
			sscanf(end + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u"
			       " %*u %*u %*u %*d %*d %*d %*d %ld", &threads);
		tasks += threads;
	}
	closedir(dir);
	return tasks;
}

/* Passes each whole line in buf[0..*len) to on_line, newline included, and
 * keeps the rest; at end of file (eof) the rest is passed on too.  A line
 * longer than LINE_MAX_BYTES is passed on in pieces. */
static void split(struct watch *w, char *buf, size_t *len, bool eof)
{
	char line[LINE_MAX_BYTES + 2];
	size_t at = 0;

	while (at < *len) {
		char *nl = memchr(buf + at, '\n', *len - at);
		size_t n = nl != NULL ? (size_t)(nl - (buf + at)) + 1 : *len - at;

		if (nl == NULL && !eof && n < LINE_MAX_BYTES)
			break;
		if (n > LINE_MAX_BYTES)
			n = LINE_MAX_BYTES;
		memcpy(line, buf + at, n);
		at += n;
		if (line[n - 1] != '\n')
			line[n++] = '\n';
		line[n] = '\0';
		/* A NUL would cut the line short: make it visible instead. */
		for (size_t i = 0; i + 1 < n; i++)
			if (line[i] == '\0')
				line[i] = '?';
		w->on_line(w, line);
	}
	memmove(buf, buf + at, *len - at);
	*len -= at;
}

void watch_run(struct watch *w, int from_stdout, const struct limits *l)
{
	static char buf[2 * LINE_MAX_BYTES];
	long long now, deadline = l->time_ms > 0 ? watch_now() + l->time_ms
						    : LLONG_MAX, sampled = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	bool open_out = true;
	size_t len = 0;

	for (;;) {
		watch_reap(w);
		now = watch_now();
		if (w->ended && !open_out)
			break;
		if (w->ended && now - w->ended_at >= HOLD_GRACE_MS) {
			w->held = true;
			break;
		}
		if (now >= deadline)
			w->timed_out = true;
		if (w->timed_out || now - sampled >= SAMPLE_MS) {
			long tasks = count_tasks();

			if (tasks > w->peak_tasks)
				w->peak_tasks = tasks;
			sampled = now;
			/* A fork bomb is stopped as soon as it is seen: its
			 * processes spin, and where the scheduler does not
			 * group them by session (a cgroup, as in a container)
			 * they would starve every other run on the machine. */
			if (l->nproc > 0 && tasks >= l->nproc - NPROC_MARGIN)
				w->nproc_reached = true;
		}
		if (w->timed_out || w->nproc_reached)
			break;

		/* Wake for output, for the program's end (a pidfd, where the
		 * kernel has them; otherwise a short nap), or to sample. */
		long long wait = SAMPLE_MS;
		struct pollfd p[2];
		nfds_t n = 0;

		if (deadline - now < wait)
			wait = deadline - now;
		if (w->ended && w->ended_at + HOLD_GRACE_MS - now < wait)
			wait = w->ended_at + HOLD_GRACE_MS - now;
		if (pidfd == -1 && !w->ended && wait > 10)
			wait = 10;
		if (open_out)
			p[n++] = (struct pollfd){ from_stdout, POLLIN, 0 };
		if (pidfd != -1 && !w->ended)
			p[n++] = (struct pollfd){ pidfd, POLLIN, 0 };
		if (poll(p, n, (int)wait) == -1 && errno != EINTR)
			die("poll");
		if (open_out && p[0].revents != 0) {
			ssize_t got = read(from_stdout, buf + len,
					   sizeof(buf) - len);

			if (got > 0) {
				len += (size_t)got;
				split(w, buf, &len, false);
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				open_out = false;
			}
		}
	}

	/* What is already written is passed on (up to DRAIN_MAX_BYTES, for a
	 * writer that never stops); no more is waited for. */
	if (open_out && fcntl(from_stdout, F_SETFL, O_NONBLOCK) != -1) {
		size_t drained = 0;
		ssize_t got;

		while (drained < DRAIN_MAX_BYTES &&
		       (got = read(from_stdout, buf + len, sizeof(buf) - len)) > 0) {
			drained += (size_t)got;
			len += (size_t)got;
			split(w, buf, &len, false);
		}
	}
	split(w, buf, &len, true);
	if (pidfd != -1)
		close(pidfd);
}

/* Returns true if the files open at a and b hold the same bytes. */
static bool same_bytes(int a, int b)
{
	char x[65536], y[65536];
	ssize_t n, m;

	do {
		n = read(a, x, sizeof(x));
		m = read(b, y, sizeof(y));
		if (n != m || n == -1 || memcmp(x, y, (size_t)n) != 0)
			return false;
	} while (n > 0);
	return true;
}

/* Returns true if the process pid runs the probe's file, or a copy of it
 * (in an image, say): a program cannot pass for the probe without being
 * it. */
static bool is_probe(pid_t pid)
{
	char path[64];
	struct stat st;
	int exe, probe;
	bool same;

	snprintf(path, sizeof(path), "%d/exe", pid);
	if (!probe_known || fstatat(proc_fd, path, &st, 0) == -1 ||
	    st.st_size != probe_file.st_size)
		return false;
	if (st.st_dev == probe_file.st_dev && st.st_ino == probe_file.st_ino)
		return true;
	exe = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	probe = open(probe_path, O_RDONLY | O_CLOEXEC);
	same = exe != -1 && probe != -1 && same_bytes(exe, probe);
	if (exe != -1)
		close(exe);
	if (probe != -1)
		close(probe);
	return same;
}

/* Returns how many live processes run the probe's file or a copy (a zombie
 * has no exe to follow), printing "probe PID" for each to out unless it is NULL,
 * and storing the first one's pid in *first unless that is NULL.  With
 * command_only, counts only those still named "probe": the probe itself,
 * not the helpers it forks, which name themselves otherwise. */
static int find_probes(FILE *out, pid_t *first, bool command_only)
{
	DIR *dir = probe_known ? open_proc() : NULL;
	struct dirent *d;
	char comm[64];
	int n = 0;
	pid_t pid;

	if (dir == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if ((pid = entry_pid(d)) == 0)
			continue;
		if (is_probe(pid) &&
		    (!command_only ||
		     (read_proc(pid, "comm", comm, sizeof(comm)) == 0 &&
		      strcmp(comm, "probe") == 0))) {
			if (out != NULL)
				fprintf(out, "probe %d\n", pid);
			if (first != NULL && n == 0)
				*first = pid;
			n++;
		}
	}
	closedir(dir);
	return n;
}

void watch_report_probes(FILE *out)
{
	find_probes(out, NULL, false);
}

pid_t watch_probe(void)
{
	pid_t pid = 0;

	find_probes(NULL, &pid, false);
	return pid;
}

/* In a child of ours: enters the mount namespace of pid and prints its
 * mounts, as seen from the namespace's root; never returns. */
static void print_ns_mounts(FILE *out, pid_t pid)
{
	char path[64], key[64];
	int ns, fd;
	FILE *in;

	snprintf(path, sizeof(path), "%d/ns/mnt", pid);
	ns = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	/* Entering a mount namespace moves our root and cwd to its root. */
	if (ns == -1 || setns(ns, CLONE_NEWNS) == -1) {
		fprintf(out, "unreadable nsmount %d: %s\n", pid, strerror(errno));
		_exit(1);
	}
	/* Our /proc of old, where "self" is us, now in that namespace. */
	fd = openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	in = fd == -1 ? NULL : fdopen(fd, "r");
	if (in == NULL) {
		fprintf(out, "unreadable nsmount %d: %s\n", pid, strerror(errno));
		_exit(1);
	}
	snprintf(key, sizeof(key), "nsmount %d", pid);
	report_mountinfo(out, in, key);
	fflush(out);
	_exit(0);
}

void watch_report_probe_mounts(FILE *out)
{
	DIR *dir = probe_known ? open_proc() : NULL;
	struct dirent *d;
	pid_t pid, child;

	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if ((pid = entry_pid(d)) == 0 || !is_probe(pid))
			continue;
		fflush(out);
		child = fork();
		if (child == -1)
			die("fork");
		if (child == 0)
			print_ns_mounts(out, pid);
		while (waitpid(child, NULL, 0) == -1 && errno == EINTR)
			continue;
	}
	closedir(dir);
}

long watch_settle(struct watch *w, long grace_ms)
{
	long long until = watch_now() + grace_ms;
	long left;

	while ((left = count_tasks()) > 0 && watch_now() < until) {
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
		watch_reap(w);
	}
	return left;
}

int watch_report_leftovers(FILE *out, struct watch *w)
{
	DIR *dir;
	struct dirent *d;
	char comm[64];
	int n = 0;
	pid_t pid;

	watch_settle(w, LEFTOVER_GRACE_MS);
	dir = open_proc();
	if (dir == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if ((pid = entry_pid(d)) == 0 ||
		    read_proc(pid, "comm", comm, sizeof(comm)) == -1)
			continue;
		fprintf(out, "task %d %s\n", pid, comm);
		n++;
	}
	closedir(dir);
	return n;
}

void watch_end_all(struct watch *w)
{
	int status;
	pid_t pid;

	/* From PID 1, -1 is everyone else in the namespace, nested ones too;
	 * no process can be created while the kernel walks the list. */
	if (kill(-1, SIGKILL) == -1 && errno != ESRCH)
		die("kill -1 SIGKILL");
	while ((pid = waitpid(-1, &status, 0)) != -1 || errno == EINTR)
		note_end(w, pid, status);
}

long watch_peak_rss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_CHILDREN, &ru) == -1)
		return 0;
	return ru.ru_maxrss;
}
