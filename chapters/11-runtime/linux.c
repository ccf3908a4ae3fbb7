/*
 * linux.c: the container's process and its set-up, from config.json
 * (chapters 1-7 and 9, put together).
 *
 * create clones the container's process in the namespaces config.json asks
 * for (chapters 1-6), after joining those it names by path (a network
 * namespace that podman made, chapter 9).  The process waits for its
 * cgroup (cgroup.c), then makes its mounts and its /dev (rootfs.c), the
 * terminal, pivots into its root (chapter 7), hides and protects paths,
 * takes its hostname, limits, user and powers (chapter 10, privileges.c),
 * finds its program, and says it is ready.  Then it waits on the exec fifo
 * until start, and execs.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "runtime.h"

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The namespaces config.json names, and the flag of each (chapters 1-6). */
static const struct { const char *type; int flag; } namespaces[] = {
	{ "network", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "pid", CLONE_NEWPID },
	{ "cgroup", CLONE_NEWCGROUP }, { "mount", CLONE_NEWNS },
	{ "user", CLONE_NEWUSER },	/* last: joining it gives up the others */
};

/* The sysctls that belong to a namespace, so that setting one in the
 * container does not set it for the machine. */
static const struct { const char *prefix; const char *ns; } sysctls[] = {
	{ "net.", "network" }, { "kernel.msg", "ipc" }, { "kernel.sem", "ipc" },
	{ "kernel.shm", "ipc" }, { "fs.mqueue.", "ipc" },
	{ "kernel.hostname", "uts" }, { "kernel.domainname", "uts" },
};

/* process.rlimits' types are the names of <sys/resource.h>. */
#define RLIMIT(name) { #name, name }
static const struct { const char *name; int resource; } rlimits[] = {
	RLIMIT(RLIMIT_AS), RLIMIT(RLIMIT_CORE), RLIMIT(RLIMIT_CPU), RLIMIT(RLIMIT_DATA),
	RLIMIT(RLIMIT_FSIZE), RLIMIT(RLIMIT_LOCKS), RLIMIT(RLIMIT_MEMLOCK),
	RLIMIT(RLIMIT_MSGQUEUE), RLIMIT(RLIMIT_NICE), RLIMIT(RLIMIT_NOFILE),
	RLIMIT(RLIMIT_NPROC), RLIMIT(RLIMIT_RSS), RLIMIT(RLIMIT_RTPRIO),
	RLIMIT(RLIMIT_RTTIME), RLIMIT(RLIMIT_SIGPENDING), RLIMIT(RLIMIT_STACK),
};

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		err = errno;
		if (fd != -1)
			close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

int read_line(const char *path, char *line, size_t size)
{
	FILE *f = fopen(path, "re");
	int rc = f != NULL && fgets(line, (int)size, f) != NULL ? 0 : -1;

	if (f != NULL)
		fclose(f);
	return rc;
}

/* Opens a terminal in the container's devpts, binds its slave on
 * /dev/console and sends the master to the console socket, in one
 * SCM_RIGHTS message: conmon reads and writes the container's terminal
 * through it.  Returns the slave, or -1. */
static int make_terminal(int rootfd, const struct setup *s)
{
	json_t *size = cfg_get(cfg_get(s->config, "process"), "consoleSize");
	struct winsize ws = { .ws_row = cfg_int(size, "height", 0),
			      .ws_col = cfg_int(size, "width", 0) };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "console", .iov_len = 7 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int master, slave;
	const char *console;
	char source[64];

	master = openat(rootfd, "dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		return fail("open /dev/pts/ptmx in the container (is devpts mounted?)");
	if (unlockpt(master) == -1)
		return fail("unlockpt");
	/* The slave, from the master itself: no path to look up, or to swap. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave == -1)
		return fail("ioctl TIOCGPTPEER");
	if (ws.ws_row && ioctl(slave, TIOCSWINSZ, &ws) == -1)
		return fail("ioctl TIOCSWINSZ");
	snprintf(source, sizeof(source), "/proc/self/fd/%d", slave);
	if ((console = inside(rootfd, "/dev/console", true)) == NULL)
		return -1;
	if (mount(source, console, NULL, MS_BIND, NULL) == -1)
		return fail("mount the terminal on /dev/console");
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	if (sendmsg(s->console_fd, &msg, 0) == -1)
		return fail("send the terminal to the console socket");
	close(master);
	close(s->console_fd);
	return slave;
}

/* Sets linux.sysctl, refusing a key that is the whole machine's. */
static int set_sysctls(const json_t *config)
{
	const char *key, *path;
	char file[4096];
	json_t *value;

	json_object_foreach(cfg_get(cfg_get(config, "linux"), "sysctl"), key, value) {
		size_t k = 0;

		while (k < ARRAY_SIZE(sysctls) &&
		       strncmp(key, sysctls[k].prefix, strlen(sysctls[k].prefix)) != 0)
			k++;
		if (k == ARRAY_SIZE(sysctls) || strstr(key, "..") ||
		    strchr(key, '/') || !config_namespace(config, sysctls[k].ns, &path))
			return fail_msg("sysctl %s is not the container's own: it would "
					"change the machine", key);
		snprintf(file, sizeof(file), "/proc/sys/%s", key);
		for (char *c = file + 10; *c; c++)
			*c = *c == '.' ? '/' : *c;
		if (!json_is_string(value))
			return fail_msg("sysctl %s: not a string", key);
		if (write_file(file, json_string_value(value)) == -1)
			return fail("write `%s`", file);
	}
	return 0;
}

/* Sets process.rlimits. */
static int set_rlimits(const json_t *process)
{
	json_t *l;
	size_t i;

	json_array_foreach(cfg_get(process, "rlimits"), i, l) {
		const char *type = cfg_str(l, "type");
		struct rlimit r = { (rlim_t)cfg_int(l, "soft", 0), (rlim_t)cfg_int(l, "hard", 0) };
		size_t k = 0;

		while (k < ARRAY_SIZE(rlimits) &&
		       (type == NULL || strcmp(type, rlimits[k].name) != 0))
			k++;
		if (k == ARRAY_SIZE(rlimits))
			return fail_msg("config.json: unknown rlimit %s", type ? type : "(none)");
		if (setrlimit(rlimits[k].resource, &r) == -1)
			return fail("setrlimit %s", type);
	}
	return 0;
}

/* Finds args[0] as execvp() would, in the PATH of process.env, and keeps
 * it in path; fails the way podman knows: "executable file not found in
 * $PATH" (127) or "permission denied" (126). */
static int find_program(const json_t *process, char *path, size_t size, int *code)
{
	const char *name = json_string_value(json_array_get(cfg_get(process, "args"), 0));
	const char *search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char dirs[4096], *save = NULL;
	bool denied = false;
	struct stat st;
	json_t *e;
	size_t i;

	json_array_foreach(cfg_get(process, "env"), i, e)
		if (json_is_string(e) && strncmp(json_string_value(e), "PATH=", 5) == 0)
			search = json_string_value(e) + 5;
	snprintf(dirs, sizeof(dirs), "%s", strchr(name, '/') ? "" : search);
	for (char *d = strchr(name, '/') ? "" : strtok_r(dirs, ":", &save); d != NULL;
	     d = strchr(name, '/') ? NULL : strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s%s%s", d, *d ? "/" : "", name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return 0;
		denied |= errno == EACCES || (stat(path, &st) == 0);
	}
	*code = denied ? 126 : 127;
	return fail_msg("exec `%s`: %s", name, denied ? "permission denied" :
			"executable file not found in $PATH");
}

/* Sends create a message: "R" ready, "A" released, or "E<code> error". */
static void tell(int fd, const char *msg)
{
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) == -1)
		_exit(1);	/* create has gone: so must we */
}

/* Waits for create's byte; returns it, or 0 if create has gone. */
static char hear(int fd)
{
	char c = 0;

	return recv(fd, &c, 1, 0) == 1 ? c : 0;
}

/* The set-up, in the container's process, up to the point where it is
 * ready: mounts, the new root, the hostname, the limits, the user and its
 * powers, the program found.  Returns 0, or -1 and *code. */
static int set_up(struct setup *s, int *fifo, int *tty, char *prog, size_t size,
		  int *code)
{
	json_t *lx = cfg_get(s->config, "linux"), *process = cfg_get(s->config, "process");
	const char *propagation = cfg_str(lx, "rootfsPropagation"), *hostname, *path;
	unsigned long flag = propagation_named(propagation);
	int rootfd;

	/* In a new user namespace, root there (its map says who that is). */
	if (config_namespace(s->config, "user", &path) && path == NULL &&
	    (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1))
		return fail("become root of the user namespace");
	/* Now that create has moved us into our cgroup, that is its root. */
	if (config_namespace(s->config, "cgroup", &path) && path == NULL &&
	    unshare(CLONE_NEWCGROUP) == -1)
		return fail("unshare CLONE_NEWCGROUP");
	/* Chapter 2: nothing we mount may travel back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | (flag ? flag : MS_PRIVATE), NULL) == -1)
		return fail("mount / MS_REC|%s", propagation ? propagation : "MS_PRIVATE");
	if ((hostname = cfg_str(s->config, "hostname")) != NULL &&
	    sethostname(hostname, strlen(hostname)) == -1)
		return fail("sethostname %s", hostname);
	if ((hostname = cfg_str(s->config, "domainname")) != NULL &&
	    setdomainname(hostname, strlen(hostname)) == -1)
		return fail("setdomainname %s", hostname);
	/* Chapter 7: the root, a mount point of its own. */
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail("mount --rbind %s", s->rootfs);
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd == -1)
		return fail("open root `%s`", s->rootfs);
	/* Open now, while its path is there to see: read and write, so that
	 * the open does not wait, and a read waits for start's byte. */
	if (s->fifo != NULL && (*fifo = open(s->fifo, O_RDWR | O_CLOEXEC)) == -1)
		return fail("open the exec fifo `%s`", s->fifo);
	/* rootfs.c: config.json's mounts in order, then /dev. */
	if (rootfs_mount(rootfd, s->config) == -1)
		return -1;
	if (cfg_bool(process, "terminal") && (*tty = make_terminal(rootfd, s)) == -1)
		return -1;
	/* Chapter 7: the root becomes "/", the old one stacked on it, then
	 * detached, with every mount of the host's below it. */
	if (fchdir(rootfd) == -1 || syscall(SYS_pivot_root, ".", ".") == -1)
		return fail("pivot_root %s", s->rootfs);
	if (umount2(".", MNT_DETACH) == -1)
		return fail("umount2 the old root");
	if (chdir("/") == -1)
		return fail("chdir /");
	close(rootfd);
	if (set_sysctls(s->config) == -1 || rootfs_protect(lx) == -1)
		return -1;
	if (cfg_bool(cfg_get(s->config, "root"), "readonly") &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags("/"),
		  NULL) == -1)
		return fail("make the root read-only");
	if (set_rlimits(process) == -1)
		return -1;
	if (cfg_get(process, "oomScoreAdj")) {
		char score[32];

		snprintf(score, sizeof(score), "%lld", cfg_int(process, "oomScoreAdj", 0));
		if (write_file("/proc/self/oom_score_adj", score) == -1)
			return fail("write `/proc/self/oom_score_adj`");
	}
	/* A session of its own, and the terminal as its controlling one. */
	if (setsid() == -1)
		return fail("setsid");
	if (*tty != -1 && (ioctl(*tty, TIOCSCTTY, 0) == -1 || dup2(*tty, 0) == -1 ||
			   dup2(*tty, 1) == -1 || dup2(*tty, 2) == -1))
		return fail("make the terminal stdin, stdout and stderr");
	/* Chapter 10: without no_new_privs, loading a filter takes
	 * CAP_SYS_ADMIN, which goes with the user: load it first. */
	if (cfg_get(lx, "seccomp") && !cfg_bool(process, "noNewPrivileges") &&
	    seccomp_apply(cfg_get(lx, "seccomp")) == -1)
		return -1;
	if (privileges_drop(process) == -1)
		return -1;
	if (cfg_bool(process, "noNewPrivileges") && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail("prctl PR_SET_NO_NEW_PRIVS");
	/* A uid change clears the parent-death signal: set it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");
	if (chdir(cfg_str(process, "cwd")) == -1)
		return fail("chdir %s", cfg_str(process, "cwd"));
	return find_program(process, prog, size, code);
}

/* Builds a NULL-terminated array of the strings in list. */
static char **strings(const json_t *list)
{
	char **v = calloc(json_array_size(list) + 1, sizeof(*v));
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (v != NULL)
			v[i] = (char *)json_string_value(e);
	return v;
}

/* Runs in the container's process: waits for create, sets up, says it is
 * ready, waits on the exec fifo, execs.  Returns only if a step failed. */
static int child_main(void *arg)
{
	struct setup *s = arg;
	json_t *process = cfg_get(s->config, "process");
	json_t *seccomp = cfg_get(cfg_get(s->config, "linux"), "seccomp");
	char prog[4096], msg[1100];
	int fifo = -1, tty = -1, code = 1, err;
	char go;

	state_drop_lock();
	/* Until create lets go of us, we die with it: chapter 0. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || hear(s->sync_fd) != 'G')
		return 1;
	if (set_up(s, &fifo, &tty, prog, sizeof(prog), &code) == -1) {
		snprintf(msg, sizeof(msg), "E%d %s", code, last_error());
		tell(s->sync_fd, msg);
		return code;
	}
	tell(s->sync_fd, "R");
	if (hear(s->sync_fd) != 'R')
		return 1;
	/* create exits now, and we go on: to conmon, its subreaper. */
	if (!s->die_with_parent && prctl(PR_SET_PDEATHSIG, 0) == -1)
		return 1;
	tell(s->sync_fd, "A");
	close(s->sync_fd);
	if (tty != -1)
		close(tty);
	/* The create/start split: here we wait until start writes its byte. */
	if (fifo != -1 && (read(fifo, &go, 1) != 1 || close(fifo) == -1))
		return 1;
	if (seccomp && cfg_bool(process, "noNewPrivileges") && seccomp_apply(seccomp) == -1) {
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, last_error());
		return 1;
	}
	/* Only what conmon asked to keep (--preserve-fds) goes through exec. */
	syscall(SYS_close_range, 3 + s->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(prog, strings(cfg_get(process, "args")), strings(cfg_get(process, "env")));
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: exec %s: %s\n", program_invocation_short_name, prog,
		strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Writes linux.uidMappings or gidMappings to /proc/PID/FILE. */
static int write_map(pid_t pid, const char *file, const json_t *list)
{
	char path[64], text[4096] = "";
	json_t *m;
	size_t i;

	json_array_foreach(list, i, m)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%lld %lld %lld\n",
			 cfg_int(m, "containerID", 0), cfg_int(m, "hostID", 0),
			 cfg_int(m, "size", 0));
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return write_file(path, text) == -1 ? fail("write `%s`", path) : 0;
}

int container_spawn(struct setup *s, pid_t *pid)
{
	json_t *lx = cfg_get(s->config, "linux");
	int flags = SIGCHLD, sv[2], fd;
	const char *path;

	/* Joined namespaces first (a network namespace that podman made):
	 * the process we clone is born in them. */
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
		if (!config_namespace(s->config, namespaces[i].type, &path))
			continue;
		if (path == NULL) {
			if (namespaces[i].flag != CLONE_NEWCGROUP)	/* set_up() */
				flags |= namespaces[i].flag;
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd == -1 || setns(fd, namespaces[i].flag) == -1)
			return fail("join the %s namespace `%s`", namespaces[i].type, path);
		close(fd);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return fail("socketpair");
	s->sync_fd = sv[1];
	*pid = clone(child_main, child_stack + STACK_SIZE, flags, s);
	if (*pid == -1)
		fail("clone");
	close(sv[1]);
	if (*pid == -1 || ((flags & CLONE_NEWUSER) &&
			   (write_map(*pid, "uid_map", cfg_get(lx, "uidMappings")) == -1 ||
			    write_map(*pid, "gid_map", cfg_get(lx, "gidMappings")) == -1))) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

int container_set_up(int sync_fd, pid_t pid, int *code)
{
	char msg[1100];
	ssize_t n;
	int status;

	*code = 1;
	if (send(sync_fd, "G", 1, MSG_NOSIGNAL) != 1)
		return fail("start the set-up");
	n = recv(sync_fd, msg, sizeof(msg) - 1, 0);
	if (n > 0 && msg[0] == 'R')
		return 0;
	if (n > 1 && msg[0] == 'E') {
		msg[n] = '\0';
		*code = atoi(msg + 1);
		fail_msg("%s", strchr(msg, ' ') ? strchr(msg, ' ') + 1 : "set-up failed");
	} else {
		fail_msg("the container's process ended during its set-up");
	}
	if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && n <= 0)
		fail_msg("the container's process was killed by signal %d during its set-up",
			 WTERMSIG(status));
	return -1;
}

int container_release(int sync_fd)
{
	if (send(sync_fd, "R", 1, MSG_NOSIGNAL) != 1 || hear(sync_fd) != 'A')
		return fail_msg("the container's process ended before it was released");
	return 0;
}
