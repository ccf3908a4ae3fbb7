/*
 * scene.c: the exercises' extra scenes (see scene.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "links.h"
#include "scene.h"

#define IP_LOG "/box/ip.log"
#define IP_REAL "/box/ip-real"
#define IP_WRAPPER "/box/ip-slow"
#define OPEN_LOG "/box/open.log"
#define LIMIT_DELAY_MS 500	/* scene_trace_cgroups(): the first limit's wait */

/* Loads a seccomp filter under which each of calls (NULL-terminated) gets
 * action, and returns it; a name this machine does not know is an error,
 * unless optional.  Dies on failure. */
static scmp_filter_ctx load_filter(const char *const calls[], uint32_t action,
				   bool optional)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (ctx == NULL)
		die_msg("seccomp_init failed");
	/* No no_new_privs: the sandbox's root may filter without it, and the
	 * program's set-uid and file-capability helpers (ping) must work. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0)
		die_msg("seccomp_attr_set SCMP_FLTATR_CTL_NNP failed");
	for (int i = 0; calls[i] != NULL; i++) {
		int nr = seccomp_syscall_resolve_name(calls[i]);

		if (nr == __NR_SCMP_ERROR && optional)
			continue;
		if (nr == __NR_SCMP_ERROR)
			die_msg("%s: no such system call", calls[i]);
		rc = seccomp_rule_add(ctx, action, nr, 0);
		if (rc != 0) {
			errno = -rc;
			die("seccomp_rule_add %s", calls[i]);
		}
	}
	rc = seccomp_load(ctx);
	if (rc != 0) {
		errno = -rc;
		die("seccomp_load");
	}
	return ctx;
}

void scene_deny(const char *const calls[])
{
	seccomp_release(load_filter(calls, SCMP_ACT_ERRNO(EPERM), false));
}

/* Sends fd over the socket sock; returns 0 or -1. */
static int send_fd(int sock, int fd)
{
	char data = 'f';
	struct iovec iov = { &data, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Returns a descriptor received on sock, or -1. */
static int receive_fd(int sock)
{
	char data;
	struct iovec iov = { &data, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *h;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	h = CMSG_FIRSTHDR(&msg);
	if (h != NULL && h->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/* What the tracer watches: the id maps (--trace-open), or the files that
 * move a process into a cgroup or limit one, and every execve (cgroup). */
static bool trace_cgroups;

void scene_trace_cgroups(void)
{
	trace_cgroups = true;
}

/* Returns true if path ends in one of the names the tracer logs. */
static bool watched(const char *path)
{
	static const char *const maps[] = { "/uid_map", "/gid_map", "/setgroups",
					     NULL };
	static const char *const cgroups[] = {
		"/cgroup.procs", "/cgroup.subtree_control", "/memory.max",
		"/memory.swap.max", "/memory.limit_in_bytes",
		"/memory.memsw.limit_in_bytes", "/pids.max", "/cpu.max",
		"/cpu.cfs_quota_us", "/cpu.cfs_period_us", NULL,
	};
	const char *const *names = trace_cgroups ? cgroups : maps;
	size_t n = strlen(path);

	for (size_t i = 0; names[i] != NULL; i++) {
		size_t k = strlen(names[i]);

		if (n >= k && strcmp(path + n - k, names[i]) == 0)
			return true;
	}
	return false;
}

/* Reads the path that the execve(2) or execveat(2) of req names; returns
 * it in path, or "" if it cannot be read. */
static void exec_path(const struct seccomp_notif *req, char *path, size_t size)
{
	char mem[64];
	ssize_t n = -1;
	int fd;

	snprintf(mem, sizeof(mem), "/proc/%d/mem", req->pid);
	fd = open(mem, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		n = pread(fd, path, size - 1, (off_t)req->data.args[
			  req->data.nr == SYS_execveat ? 1 : 0]);
		close(fd);
	}
	path[n > 0 ? n : 0] = '\0';
}

/* Lets the call of req go on unchanged. */
static void go_on(int notify, const struct seccomp_notif *req,
		  struct seccomp_notif_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	seccomp_notify_respond(notify, resp);	/* ENOENT: it died meanwhile */
}

/* The tracer's loop: for each open the filter reports, reads the path from
 * the caller's memory, logs it if it is watched, and lets the call go on.
 * Returns when no process uses the filter any more. */
static void trace(int notify, FILE *log)
{
	bool delayed = false;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	char path[PATH_MAX], mem[64];

	if (seccomp_notify_alloc(&req, &resp) != 0)
		_exit(1);
	for (;;) {
		struct pollfd p = { notify, POLLIN, 0 };
		unsigned long long flags;
		int nr, fd;
		ssize_t n;

		if (poll(&p, 1, -1) == -1 || (p.revents & POLLIN) == 0)
			break;	/* POLLHUP: every user of the filter is gone */
		memset(req, 0, sizeof(*req));	/* the kernel wants it zeroed */
		if (seccomp_notify_receive(notify, req) != 0)
			continue;	/* the caller died meanwhile */
		nr = req->data.nr;
		if (nr == SYS_execve || nr == SYS_execveat) {
			exec_path(req, path, sizeof(path));
			fprintf(log, "exec %d %s\n", req->pid, path);
			fflush(log);
			go_on(notify, req, resp);
			continue;
		}
		snprintf(mem, sizeof(mem), "/proc/%d/mem", req->pid);
		fd = open(mem, O_RDONLY | O_CLOEXEC);
		/* open(path, flags), openat(dir, path, flags), and
		 * openat2(dir, path, how), whose how starts with the flags. */
		flags = req->data.args[2];
#ifdef SYS_open
		if (nr == SYS_open)
			flags = req->data.args[1];
#endif
		if (fd != -1 && nr == SYS_openat2 &&
		    pread(fd, &flags, sizeof(flags), (off_t)req->data.args[2]) !=
		    sizeof(flags))
			flags = 0;
		n = fd == -1 ? -1 : pread(fd, path, sizeof(path) - 1,
					  (off_t)req->data.args[nr == SYS_openat ||
							       nr == SYS_openat2 ? 1 : 0]);
		if (fd != -1)
			close(fd);
		if (n > 0) {
			path[n] = '\0';
			if (watched(path)) {
				bool writes = (flags & O_ACCMODE) != O_RDONLY;

				fprintf(log, "open %d %s %s\n", req->pid, path,
					writes ? "write" : "read");
				fflush(log);
				/* The first limit written waits: a child let go
				 * before it is seen to run meanwhile. */
				if (trace_cgroups && writes && !delayed &&
				    strstr(path, "/cgroup.") == NULL) {
					delayed = true;
					nanosleep(&(struct timespec){ 0, LIMIT_DELAY_MS *
								     1000000L }, NULL);
				}
			}
		}
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		seccomp_notify_respond(notify, resp);
	}
	seccomp_notify_free(req, resp);
}

pid_t scene_trace_start(int *sock)
{
	int pair[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1)
		die("socketpair");
	pid = fork();
	if (pid == -1)
		die("fork");
	if (pid == 0) {
		FILE *log = fopen(OPEN_LOG, "we");
		int notify;

		close(pair[1]);
		notify = receive_fd(pair[0]);
		if (log == NULL || notify == -1)
			_exit(1);
		trace(notify, log);
		_exit(0);
	}
	close(pair[0]);
	*sock = pair[1];
	return pid;
}

void scene_trace_program(int sock)
{
	/* open(2) is not on every machine: openat(2) is. */
	static const char *const calls[] = { "open", "openat", "openat2",
					     "execve", "execveat", NULL };
	const char *const *traced = calls;
	scmp_filter_ctx ctx;

	/* The id maps need no execs. */
	static const char *const opens[] = { "open", "openat", "openat2", NULL };
	if (!trace_cgroups)
		traced = opens;
	ctx = load_filter(traced, SCMP_ACT_NOTIFY, true);
	int fd = seccomp_notify_fd(ctx);

	if (fd < 0 || send_fd(sock, fd) == -1)
		die("send the notify descriptor");
	close(fd);
	close(sock);
	seccomp_release(ctx);
}

void scene_report_opens(FILE *out)
{
	FILE *in = fopen(OPEN_LOG, "re");
	char line[PATH_MAX + 64];

	if (in == NULL)
		return;
	while (fgets(line, sizeof(line), in) != NULL)
		fputs(line, out);
	fclose(in);
}

/* One trial of scene_early_signal(): returns 0 if the program ended of
 * its command's death, 1 if it still ran ("lost"), 2 if the signal killed
 * the program itself. */
static int early_trial(char *argv[], int sig, const struct limits *l)
{
	static const char *const execs[] = { "execve", "execveat", NULL };
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	long long until = 0;
	int pair[2], in[2], notify, status = 0, devnull;
	bool signalled = false, ended = false;
	char path[PATH_MAX];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1 ||
	    pipe2(in, O_CLOEXEC) == -1)
		die("socketpair");
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		die("fork");
	if (pid == 0) {
		scmp_filter_ctx ctx;

		devnull = open("/dev/null", O_WRONLY);
		if (devnull == -1 || dup2(in[0], STDIN_FILENO) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1 ||
		    dup2(devnull, STDERR_FILENO) == -1)
			_exit(125);
		watch_limit_program(l);
		ctx = load_filter(execs, SCMP_ACT_NOTIFY, true);
		if (send_fd(pair[1], seccomp_notify_fd(ctx)) == -1)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(pair[1]);
	notify = receive_fd(pair[0]);
	close(pair[0]);
	if (notify == -1 || seccomp_notify_alloc(&req, &resp) != 0)
		die("receive the notify descriptor");
	for (;;) {
		struct pollfd p = { notify, POLLIN, 0 };

		if (waitpid(pid, &status, WNOHANG) == pid) {
			ended = true;
			break;
		}
		if (signalled && watch_now() >= until)
			break;
		if (poll(&p, 1, 5) <= 0 || (p.revents & POLLIN) == 0)
			continue;
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(notify, req) != 0)
			continue;
		exec_path(req, path, sizeof(path));
		if (signalled || (pid_t)req->pid == pid || strcmp(path, argv[1]) != 0) {
			go_on(notify, req, resp);
			continue;
		}
		/* The command, at the door of execve(): its handlers are still
		 * what its parent left it.  The signal goes the whole way,
		 * program, init, command; the call waits until it is
		 * interrupted (the command died, or ran a handler) or 2 s. */
		if (kill(pid, sig) == -1)
			die("kill %d", pid);
		signalled = true;
		until = watch_now() + 2000;
		while (seccomp_notify_id_valid(notify, req->id) == 0 &&
		       watch_now() < until)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		go_on(notify, req, resp);
	}
	seccomp_notify_free(req, resp);
	close(notify);
	/* From PID 1, -1 is every other process of the sandbox. */
	if (kill(-1, SIGKILL) == -1 && errno != ESRCH)
		die("kill -1 SIGKILL");
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		continue;
	close(in[1]);
	if (!ended)
		return 1;
	return WIFSIGNALED(status) && WTERMSIG(status) == sig ? 2 : 0;
}

void scene_early_signal(char *argv[], int sig, const struct limits *l)
{
	enum { TRIALS = 3 };
	int lost = 0, killed = 0, i, rc;

	for (i = 0; i < TRIALS && lost == 0 && killed == 0; i++) {
		rc = early_trial(argv, sig, l);
		lost += rc == 1;
		killed += rc == 2;
	}
	printf("early %s %d lost %d killed %d\n", sig == SIGTERM ? "TERM" : "INT",
	       i, lost, killed);
}

/* Writes text to a new file at path with mode; dies if it cannot. */
static void write_new(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) == -1)
		die("write %s", path);
}

void scene_slow_ip(long delay_ms)
{
	char real[PATH_MAX], script[1024];

	/* /sbin/ip and its kin are links to one file: cover that file. */
	if (realpath("/usr/bin/ip", real) == NULL &&
	    realpath("/usr/sbin/ip", real) == NULL)
		die("realpath ip");
	/* The wrapper runs the real ip, kept at IP_REAL, and logs each call
	 * with the time since boot in milliseconds, read from /proc/uptime
	 * by the shell itself, so logging costs no process. */
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "now() { read -r up _ </proc/uptime; ms=${up%%.*}${up#*.}0; }\n"
		 "now; echo \"ip start $$ $PPID $ms $*\" >>" IP_LOG "\n"
		 "case \"$1 $2\" in \"link add\"|\"l add\"|\"li add\"|\"lin add\") "
		 "sleep %ld.%03ld ;; esac\n"
		 IP_REAL " \"$@\"\n"
		 "rc=$?; now; echo \"ip end $$ $rc $ms\" >>" IP_LOG "\n"
		 "exit $rc\n", delay_ms / 1000, delay_ms % 1000);
	write_new(IP_WRAPPER, script, 0755);
	write_new(IP_REAL, "", 0755);
	write_new(IP_LOG, "", 0666);
	if (mount(real, IP_REAL, NULL, MS_BIND, NULL) == -1)
		die("mount --bind %s %s", real, IP_REAL);
	if (mount(IP_WRAPPER, real, NULL, MS_BIND, NULL) == -1)
		die("mount --bind %s %s", IP_WRAPPER, real);
}

void scene_report_ip(FILE *out)
{
	FILE *in = fopen(IP_LOG, "re");
	char line[1024];

	if (in == NULL)
		return;
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		fprintf(out, "%s\n", line);
	}
	fclose(in);
}

extern char **environ;

void scene_lan(void)
{
	static char *const steps[][10] = {
		{ "ip", "link", "add", "lan0", "type", "veth", "peer", "name",
		  "lan1", NULL },
		{ "ip", "link", "set", "lan0", "addrgenmode", "none", NULL },
		{ "ip", "link", "set", "lan1", "addrgenmode", "none", NULL },
		{ "ip", "addr", "add", "192.0.2.1/24", "dev", "lan0", NULL },
		{ "ip", "addr", "add", "2001:db8::1/64", "dev", "lan0", "nodad",
		  NULL },
		{ "ip", "addr", "add", "192.0.2.2/24", "dev", "lan1", NULL },
		{ "ip", "link", "add", "lan-br", "type", "bridge", NULL },
		{ "ip", "link", "set", "lan1", "up", NULL },
		{ "ip", "link", "set", "lan0", "up", NULL },
	};
	static const char *const running[] = { "lan0", "lan1", NULL };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		pid_t pid;
		int status, rc = posix_spawnp(&pid, "ip", NULL, NULL, steps[i],
					      environ);

		if (rc != 0) {
			errno = rc;
			die("spawn ip");
		}
		if (waitpid(pid, &status, 0) == -1)
			die("waitpid ip");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die_msg("ip %s %s %s failed", steps[i][1], steps[i][2],
				steps[i][3]);
	}
	if (links_wait_up(running, 2000) == -1)
		die("wait for lan0 and lan1 to run");
}
