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
#include <sys/prctl.h>
#include <linux/capability.h>
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
#define TRACE_LOG "/box/trace.log"
#define LIMIT_DELAY_MS 500	/* scene_trace_cgroups(): the first limit's wait */

/* Loads a seccomp filter under which each of calls (NULL-terminated) gets
 * action, and the rules that more adds (unless NULL); returns it.  A name
 * this machine does not know is an error, unless optional.  Dies on
 * failure. */
static scmp_filter_ctx load_filter(const char *const calls[], uint32_t action,
				   bool optional, void (*more)(scmp_filter_ctx))
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
	if (more != NULL)
		more(ctx);
	rc = seccomp_load(ctx);
	if (rc != 0) {
		errno = -rc;
		die("seccomp_load");
	}
	return ctx;
}

void scene_deny(const char *const calls[])
{
	seccomp_release(load_filter(calls, SCMP_ACT_ERRNO(EPERM), false, NULL));
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

/* Returns true if nr is one of the calls that open a file. */
static bool is_open(int nr)
{
#ifdef SYS_open
	if (nr == SYS_open)
		return true;
#endif
	return nr == SYS_openat || nr == SYS_openat2;
}

/* Returns whether process pid has CAP_SYS_ADMIN in its effective set, as
 * /proc/PID/status says: 1, 0, or -1 if it cannot be read. */
static int has_sys_admin(pid_t pid)
{
	char path[64], line[256];
	unsigned long long eff;
	int found = -1;
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	in = fopen(path, "re");
	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL)
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			found = (eff >> CAP_SYS_ADMIN) & 1;
	fclose(in);
	return found;
}

/* Logs one of the calls that change what a process may do (--trace-powers),
 * as "power PID CALL [ARG...]". */
static void log_power(const struct seccomp_notif *req, FILE *log)
{
	static const struct { unsigned long option; const char *name; } options[] = {
		{ PR_SET_NO_NEW_PRIVS, "no_new_privs" },
		{ PR_CAPBSET_DROP, "capbset_drop" },
		{ PR_SET_SECCOMP, "set_seccomp" },
		{ PR_SET_KEEPCAPS, "keepcaps" },
		{ PR_SET_SECUREBITS, "securebits" },
		{ PR_CAP_AMBIENT, "ambient" },
	};
	const unsigned long long *a = req->data.args;
	int nr = req->data.nr;
	char path[PATH_MAX];

	fprintf(log, "power %d ", req->pid);
	if (nr == SYS_prctl) {
		const char *name = "other";

		for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
			if (a[0] == options[i].option)
				name = options[i].name;
		fprintf(log, "prctl %s %llu %llu\n", name, a[1], a[2]);
	} else if (nr == SYS_seccomp) {
		/* Without no_new_privs, the kernel loads a filter only for a
		 * caller that has CAP_SYS_ADMIN. */
		fprintf(log, "seccomp %llu sys_admin %d\n", a[0],
			has_sys_admin((pid_t)req->pid));
	} else if (nr == SYS_capset) {
		fprintf(log, "capset\n");	/* its arguments are pointers */
	} else if (nr == SYS_execve || nr == SYS_execveat) {
		exec_path(req, path, sizeof(path));
		fprintf(log, "execve %s\n", path);
	} else {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		fprintf(log, "%s %llu %llu %llu\n", name ? name : "?", a[0], a[1],
			a[2]);
		free(name);
	}
	fflush(log);
}

/* The tracer's loop: for each open the filter reports, reads the path from
 * the caller's memory, logs it if it is watched, and lets the call go on.
 * Returns when no process uses the filter any more. */
static void trace(int notify, FILE *log)
{
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	char path[PATH_MAX], mem[64];
	bool delayed = false;

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
		if (trace_cgroups && (nr == SYS_execve || nr == SYS_execveat)) {
			exec_path(req, path, sizeof(path));
			fprintf(log, "exec %d %s\n", req->pid, path);
			fflush(log);
			go_on(notify, req, resp);
			continue;
		}
		if (!is_open(nr)) {
			log_power(req, log);
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
		go_on(notify, req, resp);
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
		FILE *log = fopen(TRACE_LOG, "we");
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

/* Adds to ctx a rule that notifies the tracer of the call name, when the
 * nargs comparisons hold (on its first two arguments); a call this
 * machine does not know is left out.  Dies on failure. */
static void notify_on(scmp_filter_ctx ctx, const char *name, unsigned nargs,
		      unsigned long long arg0, unsigned long long arg1)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR)
		return;
	if (nargs == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
	else if (nargs == 1)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				      SCMP_A0(SCMP_CMP_EQ, arg0));
	else
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2,
				      SCMP_A0(SCMP_CMP_EQ, arg0),
				      SCMP_A1(SCMP_CMP_EQ, arg1));
	if (rc != 0) {
		errno = -rc;
		die("seccomp_rule_add %s", name);
	}
}

/* Adds the rules of --trace-powers: the prctl(2) options that change what
 * a process may do, seccomp(2) loading a filter, the calls that change
 * capabilities, ids and groups, and execve(2). */
static void notify_on_powers(scmp_filter_ctx ctx)
{
	static const unsigned long options[] = {
		PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECCOMP,
		PR_SET_KEEPCAPS, PR_SET_SECUREBITS,
	};
	static const unsigned long ambient[] = {
		PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER,
		PR_CAP_AMBIENT_CLEAR_ALL,
	};
	static const char *const calls[] = {
		"capset", "setgroups", "setuid", "setgid", "setreuid",
		"setregid", "setresuid", "setresgid", "execve", "execveat",
	};

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		notify_on(ctx, "prctl", 1, options[i], 0);
	for (size_t i = 0; i < sizeof(ambient) / sizeof(ambient[0]); i++)
		notify_on(ctx, "prctl", 2, PR_CAP_AMBIENT, ambient[i]);
	notify_on(ctx, "seccomp", 1, SECCOMP_SET_MODE_FILTER, 0);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		notify_on(ctx, calls[i], 0, 0, 0);
}

void scene_trace_program(int sock, bool opens, bool powers)
{
	/* open(2) is not on every machine: openat(2) is. */
	static const char *const calls[] = { "open", "openat", "openat2", NULL };
	/* scene_trace_cgroups(): the execs too. */
	static const char *const with_execs[] = { "open", "openat", "openat2",
						  "execve", "execveat", NULL };
	static const char *const none[] = { NULL };
	scmp_filter_ctx ctx = load_filter(!opens ? none : trace_cgroups ?
					  with_execs : calls, SCMP_ACT_NOTIFY,
					  true, powers ? notify_on_powers : NULL);
	int fd = seccomp_notify_fd(ctx);

	if (fd < 0 || send_fd(sock, fd) == -1)
		die("send the notify descriptor");
	close(fd);
	close(sock);
	seccomp_release(ctx);
}

void scene_report_trace(FILE *out)
{
	FILE *in = fopen(TRACE_LOG, "re");
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
		ctx = load_filter(execs, SCMP_ACT_NOTIFY, true, NULL);
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
		 * interrupted (the command died, or ran a handler) or 2 s (times
		 * limits.scale). */
		if (kill(pid, sig) == -1)
			die("kill %d", pid);
		signalled = true;
		until = watch_now() + 2000 * (l->scale > 1 ? l->scale : 1);
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
