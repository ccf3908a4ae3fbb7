/*
 * console.c: a small OCI runtime, in one file, for chapter 11's exercises.
 *
 *     usage: console [--root DIR] create [--bundle DIR] [--pid-file FILE]
 *                      [--console-socket PATH] ID
 *            console [--root DIR] start|state ID
 *            console [--root DIR] kill ID [SIGNAL]
 *            console [--root DIR] delete [--force] ID
 *            console COMMAND [ARG...]
 *
 * Exercise (11.9 "Exercises", The console socket): with process.terminal,
 * the container's process opens a pty in its own devpts, sends the master
 * to --console-socket in one SCM_RIGHTS message, and makes the slave its
 * controlling terminal and its fds 0, 1 and 2.  Check with `make check
 * CHAPTER=runtime`.
 *
 * It reads the bundle's config.json with jansson: process.args, env, cwd
 * and terminal, root.path, hostname and mounts; the namespaces are always
 * new mount, PID, UTS and IPC ones (a config.json that asks for others is
 * refused).  The states live in DIR/ID (--root, or /run/NAME).  With a
 * COMMAND instead of a command of the spec, it runs COMMAND in the image
 * beside it (BIN/../image/busybox) and passes its status back, as the
 * workbook's other programs do.
 *
 * Exit status: 0; with COMMAND, the command's, 128+N if signal N killed it,
 * 127 or 126 if it could not be run; 1 when a step failed (one line says
 * why), 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

enum status { CREATED, RUNNING, STOPPED };
static const char *const status_names[] = { "created", "running", "stopped" };

/* What create knows of the container it makes. */
struct container {
	char dir[PATH_MAX];		/* ROOT/ID */
	char fifo[PATH_MAX + 16];	/* ROOT/ID/exec.fifo, "" with COMMAND */
	char rootfs[2 * PATH_MAX + 8];
	json_t *config;
	int sync;			/* the child's end of the socket pair */
	int console;			/* connected to --console-socket, or -1 */
	bool command;			/* COMMAND: no bundle, and it dies with us */
};

static const char *state_root = "/run/lifecycle";

/* Prints "NAME: MESSAGE" on stderr; returns -1. */
__attribute__((format(printf, 1, 2))) static int error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: %s [--root DIR] create [--bundle DIR] [--pid-file FILE] "
		"[--console-socket PATH] ID\n       %s [--root DIR] start|state ID | "
		"kill ID [SIGNAL] | delete [--force] ID\n       %s COMMAND [ARG...]\n",
		program_invocation_short_name, program_invocation_short_name,
		program_invocation_short_name);
	return 2;
}

/* Makes path and the folders above it; returns 0 or -1 (errno). */
static int make_dirs(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* Returns /proc/PID/stat's start time of pid, 0 if it has ended. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], line[1024], *end, state = 'X';
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL || (end = strrchr(line, ')')) == NULL ||
	    sscanf(end + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %*s %*s %llu", &state, &start) != 2)
		start = 0;
	fclose(f);
	return state == 'Z' || state == 'X' ? 0 : start;
}

/* ------------------------------------------------------------------ */
/* Inside: the container's process, from clone() to execvp().          */

/* Mount options as mount(2) flags; the others go through as data. */
static const struct { const char *name; unsigned long flag; bool clear; } flags[] = {
	{ "ro", MS_RDONLY, false }, { "rw", MS_RDONLY, true },
	{ "nosuid", MS_NOSUID, false }, { "nodev", MS_NODEV, false },
	{ "noexec", MS_NOEXEC, false }, { "bind", MS_BIND, false },
	{ "rbind", MS_BIND | MS_REC, false }, { "strictatime", MS_STRICTATIME, false },
};

/* Mounts config.json's mounts, in order, under the new root (the current
 * folder); a read-only bind is remounted, as a bind ignores MS_RDONLY. */
static int mount_all(const json_t *mounts)
{
	json_t *m, *o;
	size_t i, j;

	json_array_foreach(mounts, i, m) {
		const char *dest = json_string_value(json_object_get(m, "destination"));
		const char *type = json_string_value(json_object_get(m, "type"));
		const char *source = json_string_value(json_object_get(m, "source"));
		char path[PATH_MAX], data[1024] = "";
		unsigned long f = 0;
		struct stat st;
		size_t k;

		if (dest == NULL || dest[0] != '/')
			return error("config.json: mounts[%zu] needs an absolute destination", i);
		json_array_foreach(json_object_get(m, "options"), j, o) {
			const char *opt = json_string_value(o);

			for (k = 0; opt && k < sizeof(flags) / sizeof(flags[0]); k++)
				if (strcmp(opt, flags[k].name) == 0)
					break;
			if (opt && k < sizeof(flags) / sizeof(flags[0]))
				f = flags[k].clear ? f & ~flags[k].flag : f | flags[k].flag;
			else if (opt)
				snprintf(data + strlen(data), sizeof(data) - strlen(data),
					 "%s%s", data[0] ? "," : "", opt);
		}
		snprintf(path, sizeof(path), ".%s", dest);
		/* A file is bound on a file: its folders, then an empty one. */
		if ((f & MS_BIND) && stat(source, &st) == 0 && !S_ISDIR(st.st_mode)) {
			*strrchr(path, '/') = '\0';
			if (make_dirs(path) == -1)
				return error("mkdir %s: %s", path + 1, strerror(errno));
			path[strlen(path)] = '/';
			close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		} else if (make_dirs(path) == -1) {
			return error("mkdir %s: %s", dest, strerror(errno));
		}
		if (mount(source, path, type, f, data[0] ? data : NULL) == -1)
			return error("mount %s on %s: %s", type ? type : "bind", dest,
				     strerror(errno));
		if ((f & MS_BIND) && (f & MS_RDONLY) &&
		    mount(NULL, path, NULL, f | MS_REMOUNT, NULL) == -1)
			return error("remount %s read-only: %s", dest, strerror(errno));
	}
	return 0;
}

/* Opens a terminal in the container's devpts, sends its master down the
 * console socket in one SCM_RIGHTS message, and makes its slave the
 * controlling terminal and fds 0, 1 and 2. */
static int give_terminal(int console)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "t", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int master, slave;

	if ((master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return error("open /dev/pts/ptmx: %s", strerror(errno));
	if (unlockpt(master) == -1 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) == -1)
		return error("open the terminal's slave: %s", strerror(errno));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	if (sendmsg(console, &msg, 0) == -1)
		return error("send the terminal to the console socket: %s", strerror(errno));
	close(master);
	close(console);
	if (setsid() == -1 || ioctl(slave, TIOCSCTTY, 0) == -1)
		return error("make the terminal the controlling one: %s", strerror(errno));
	if (dup2(slave, 0) == -1 || dup2(slave, 1) == -1 || dup2(slave, 2) == -1)
		return error("dup2 the terminal: %s", strerror(errno));
	if (slave > 2)
		close(slave);
	return 0;
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

/* The container's set-up, in the new namespaces: a private tree, the root
 * bound on itself, the mounts, pivot_root() and the old root detached, the
 * host name, the terminal.  Opens the exec fifo first into *fifo: its path
 * is outside the new root.  Returns 0 or -1 (said). */
static int set_up(struct container *c, int *fifo)
{
	json_t *process = json_object_get(c->config, "process");
	const char *hostname = json_string_value(json_object_get(c->config, "hostname"));

	if (c->fifo[0] && (*fifo = open(c->fifo, O_RDWR | O_CLOEXEC)) == -1)
		return error("open %s: %s", c->fifo, strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) == -1 ||
	    chdir(c->rootfs) == -1)
		return error("bind the root %s: %s", c->rootfs, strerror(errno));
	/* COMMAND: /proc and /dev/null, as chapter 7's programs have them. */
	if (c->command && (mount("proc", "proc", "proc", 0, NULL) == -1 ||
			   close(open("dev/null", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
			   mount("/dev/null", "dev/null", NULL, MS_BIND, NULL) == -1))
		return error("mount /proc and /dev/null in %s: %s", c->rootfs, strerror(errno));
	if (mount_all(json_object_get(c->config, "mounts")) == -1)
		return -1;
	if (syscall(SYS_pivot_root, ".", ".") == -1 || umount2(".", MNT_DETACH) == -1 ||
	    chdir("/") == -1)
		return error("pivot_root %s: %s", c->rootfs, strerror(errno));
	if (hostname != NULL && sethostname(hostname, strlen(hostname)) == -1)
		return error("sethostname %s: %s", hostname, strerror(errno));
	if (json_is_true(json_object_get(process, "terminal")) && give_terminal(c->console) == -1)
		return -1;
	return 0;
}

/* Runs in the container's process: sets up, says so ("R", or "E" and why),
 * waits for create to let go, then on the exec fifo for start, and execs. */
static int child_main(void *arg)
{
	struct container *c = arg;
	json_t *process = json_object_get(c->config, "process");
	const char *cwd = json_string_value(json_object_get(process, "cwd"));
	char **args = strings(json_object_get(process, "args"));
	int fifo = -1, err;
	char byte;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return 1;
	if (args == NULL || args[0] == NULL) {
		error("config.json: process.args names no program");
		return 1;
	}
	/* Errors go to create's stderr, then create tells what failed. */
	if (set_up(c, &fifo) == -1) {
		write(c->sync, "E", 1);
		return 1;
	}
	/* create writes the pid file, then lets go of us: conmon's now. */
	if (write(c->sync, "R", 1) != 1 || read(c->sync, &byte, 1) != 1)
		return 1;
	if (!c->command && prctl(PR_SET_PDEATHSIG, 0) == -1)
		return 1;
	if (write(c->sync, "A", 1) != 1)
		return 1;
	close(c->sync);
	/* The create/start split: the program waits for start's byte. */
	if (fifo != -1 && (read(fifo, &byte, 1) != 1 || close(fifo) == -1))
		return 1;
	if (cwd != NULL && chdir(cwd) == -1) {
		error("chdir %s: %s", cwd, strerror(errno));
		return 1;
	}
	if (json_array_size(json_object_get(process, "env")) > 0)
		environ = strings(json_object_get(process, "env"));
	execvp(args[0], args);
	err = errno;
	error("%s: %s", args[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* ------------------------------------------------------------------ */
/* Outside: the commands.                                              */

/* Reads DIR/config.json; refuses a malformed one and namespaces other than
 * the four this runtime makes.  Returns it, or NULL (said). */
static json_t *load_config(const char *bundle)
{
	static const char *const made[] = { "mount", "pid", "uts", "ipc" };
	char path[PATH_MAX + 16];
	json_error_t e;
	json_t *config, *ns;
	size_t i;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if ((config = json_load_file(path, 0, &e)) == NULL) {
		error("%s: line %d: %s", path, e.line, e.text);
		return NULL;
	}
	json_array_foreach(json_object_get(json_object_get(config, "linux"), "namespaces"), i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));
		size_t k = 0;

		while (k < 4 && (type == NULL || strcmp(type, made[k]) != 0))
			k++;
		if (k == 4 || json_object_get(ns, "path") != NULL) {
			error("config.json: the %s namespace is not supported: only new "
			      "mount, pid, uts and ipc ones", type ? type : "(unnamed)");
			json_decref(config);
			return NULL;
		}
	}
	return config;
}

/* Connects to the console socket; returns it, or -1 (said). */
static int connect_console(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd == -1 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1)
		return error("connect to the console socket %s: %s", path, strerror(errno));
	return fd;
}

/* Makes the container's process, waiting on the exec fifo (none with
 * COMMAND) once its set-up is done; returns its pid and, in *sync, the
 * socket it is held by, or -1 with the process gone. */
static pid_t spawn(struct container *c, int *sync)
{
	int sv[2];
	char byte = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return error("socketpair: %s", strerror(errno));
	c->sync = sv[1];
	pid = clone(child_main, child_stack + STACK_SIZE, CLONE_NEWNS | CLONE_NEWPID |
		    CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, c);
	close(sv[1]);
	if (pid == -1) {
		close(sv[0]);
		return error("clone: %s", strerror(errno));
	}
	if (read(sv[0], &byte, 1) != 1 || byte != 'R') {
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* "E": it has said why, on our stderr. */
		return byte == 'E' ? -1 : error("the container's process died in its set-up");
	}
	*sync = sv[0];
	return pid;
}

/* Writes text to path, whole or not at all; returns 0 or -1 (said). */
static int write_file(const char *path, const char *text)
{
	char tmp[2 * PATH_MAX];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		return error("write %s: %s", path, strerror(errno));
	}
	return 0;
}

/* Removes what create made in the state folder. */
static void remove_state(const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/exec.fifo", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(dir);
}

/* The state of a container, as create kept it in ROOT/ID/state. */
struct state {
	char dir[PATH_MAX];
	pid_t pid;
	unsigned long long start;
	char bundle[PATH_MAX];
};

/* Reads the state of id; returns 0, or -1 for an unknown id (said). */
static int load_state(const char *id, struct state *s)
{
	char path[PATH_MAX + 16];
	FILE *f;
	int n;

	snprintf(s->dir, sizeof(s->dir), "%s/%s", state_root, id);
	snprintf(path, sizeof(path), "%s/state", s->dir);
	if (strchr(id, '/') != NULL || (f = fopen(path, "re")) == NULL)
		return error("container %s does not exist", id);
	n = fscanf(f, "%d %llu %4095[^\n]", &s->pid, &s->start, s->bundle);
	fclose(f);
	if (n != 3)
		return error("container %s: its state %s is damaged", id, path);
	return 0;
}

/* Returns the status of a container: stopped once its process has ended,
 * or when its pid now names another process (another start time); else
 * created while the exec fifo is there, running once start removed it. */
static enum status status_of(const struct state *s)
{
	char fifo[PATH_MAX + 16];

	if (s->pid <= 0 || start_time(s->pid) != s->start)
		return STOPPED;
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", s->dir);
	return access(fifo, F_OK) == 0 ? CREATED : RUNNING;
}

/* Returns the signal named by text ("9", "KILL", "SIGKILL"), or 0. */
static int signal_named(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (*text != '\0' && *end == '\0')
		return n > 0 && n < NSIG ? (int)n : 0;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigabbrev_np(sig) != NULL && strcasecmp(text, sigabbrev_np(sig)) == 0)
			return sig;
	return 0;
}

static int cmd_create(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ 0 },
	};
	const char *bundle = ".", *pid_file = NULL, *console = NULL, *root, *id;
	char bundle_path[PATH_MAX], text[PATH_MAX + 64];
	struct container c = { .console = -1 };
	int opt, sync = -1;
	pid_t pid = -1;

	optind = 0;	/* a fresh getopt, for the command's own options */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1)
		switch (opt) {
		case 'b': bundle = optarg; break;
		case 'p': pid_file = optarg; break;
		case 'c': console = optarg; break;
		default: return usage();
		}
	if (optind != argc - 1)
		return usage();
	id = argv[optind];
	if (strchr(id, '/') != NULL || id[0] == '.' || id[0] == '\0')
		return error("%s: not a container id", id), 1;
	if (realpath(bundle, bundle_path) == NULL)
		return error("bundle %s: %s", bundle, strerror(errno)), 1;
	if ((c.config = load_config(bundle_path)) == NULL)
		return 1;
	root = json_string_value(json_object_get(json_object_get(c.config, "root"), "path"));
	if (root == NULL)
		return error("config.json: no root.path"), 1;
	snprintf(c.rootfs, sizeof(c.rootfs), "%s%s%s", root[0] == '/' ? "" : bundle_path,
		 root[0] == '/' ? "" : "/", root);
	snprintf(c.dir, sizeof(c.dir), "%s/%s", state_root, id);
	snprintf(text, sizeof(text), "%s", state_root);
	if (make_dirs(text) == -1)
		return error("mkdir %s: %s", state_root, strerror(errno)), 1;
	if (mkdir(c.dir, 0700) == -1)
		return error(errno == EEXIST ? "container %s exists already" :
			     "mkdir %s: %s", errno == EEXIST ? id : c.dir, strerror(errno)), 1;
	snprintf(c.fifo, sizeof(c.fifo), "%s/exec.fifo", c.dir);
	if (mkfifo(c.fifo, 0600) == -1) {
		error("mkfifo %s: %s", c.fifo, strerror(errno));
		goto undo;
	}
	if (console != NULL && (c.console = connect_console(console)) == -1)
		goto undo;
	if ((pid = spawn(&c, &sync)) == -1)
		goto undo;
	snprintf(text, sizeof(text), "%d %llu %s\n", pid, start_time(pid), bundle_path);
	snprintf(c.fifo, sizeof(c.fifo), "%s/state", c.dir);	/* now the state's path */
	if (write_file(c.fifo, text) == -1)
		goto undo;
	/* The pid alone, no newline: conmon reads it with atoi(). */
	snprintf(text, sizeof(text), "%d", pid);
	if (pid_file != NULL && write_file(pid_file, text) == -1)
		goto undo;
	/* Let go of the process, which then no longer dies with us. */
	if (write(sync, "R", 1) != 1 || read(sync, text, 1) != 1) {
		error("the container's process died before start");
		goto undo;
	}
	return 0;
undo:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (pid_file != NULL && pid > 0)
		unlink(pid_file);
	remove_state(c.dir);
	return 1;
}

static int cmd_start(int argc, char *argv[])
{
	char fifo[PATH_MAX + 16];
	int fd;

	if (argc != 2)
		return usage();
	if (strchr(argv[1], '/') != NULL)
		return error("container %s does not exist", argv[1]), 1;
	snprintf(fifo, sizeof(fifo), "%s/%s/exec.fifo", state_root, argv[1]);
	/* Only a created container has its fifo; O_NONBLOCK: a fifo whose
	 * reader died must not hold us here. */
	if ((fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		struct state s;

		if (load_state(argv[1], &s) == -1)
			return 1;
		return error("container %s is not created: it cannot start", argv[1]), 1;
	}
	if (write(fd, "0", 1) != 1)
		return error("write %s: %s", fifo, strerror(errno)), 1;
	close(fd);
	if (unlink(fifo) == -1)
		return error("remove %s: %s", fifo, strerror(errno)), 1;
	return 0;
}

static int cmd_state(int argc, char *argv[])
{
	struct state s;
	enum status st;
	json_t *out;
	char *text;

	if (argc != 2)
		return usage();
	if (load_state(argv[1], &s) == -1)
		return 1;
	st = status_of(&s);
	out = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.0.2", "id", argv[1],
			"status", status_names[st], "pid", st == STOPPED ? 0 : s.pid,
			"bundle", s.bundle);
	if (out == NULL || (text = json_dumps(out, JSON_INDENT(2))) == NULL)
		return error("state %s: out of memory", argv[1]), 1;
	printf("%s\n", text);
	free(text);
	json_decref(out);
	return 0;
}

static int cmd_kill(int argc, char *argv[])
{
	struct state s;
	int sig = SIGTERM;

	if (argc != 2 && argc != 3)
		return usage();
	if (argc == 3 && (sig = signal_named(argv[2])) == 0)
		return error("kill: unknown signal %s", argv[2]), 1;
	if (load_state(argv[1], &s) == -1)
		return 1;
	if (status_of(&s) == STOPPED)
		return error("container %s is stopped: no process to signal", argv[1]), 1;
	if (kill(s.pid, sig) == -1)
		return error("kill %d: %s", s.pid, strerror(errno)), 1;
	return 0;
}

static int cmd_delete(int argc, char *argv[])
{
	bool force = argc == 3 && strcmp(argv[1], "--force") == 0;
	struct state s;
	enum status st;

	if (argc != 2 && !force)
		return usage();
	if (load_state(argv[argc - 1], &s) == -1)
		return 1;
	st = status_of(&s);
	if (st != STOPPED && !force)
		return error("container %s is %s: stop it first, or delete --force",
			     argv[argc - 1], status_names[st]), 1;
	if (st != STOPPED) {
		kill(s.pid, SIGKILL);
		for (int tries = 0; status_of(&s) != STOPPED; tries++) {
			if (tries == 500)
				return error("container %s: %d did not die", argv[argc - 1],
					     s.pid), 1;
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		}
	}
	remove_state(s.dir);
	return 0;
}

/* COMMAND: runs it in the image beside this program, waits, passes its
 * status back. */
static int run_command(char *argv[])
{
	char self[PATH_MAX], *bin;
	struct container c = { .console = -1, .command = true };
	json_t *args = json_array();
	int sync, status;
	pid_t pid;

	if (realpath("/proc/self/exe", self) == NULL)
		return error("realpath /proc/self/exe: %s", strerror(errno)), 1;
	bin = dirname(self);
	snprintf(c.rootfs, sizeof(c.rootfs), "%s/../image/busybox", bin);
	for (int i = 0; argv[i] != NULL; i++)
		json_array_append_new(args, json_string(argv[i]));
	c.config = json_pack("{s:{s:o, s:[s]}}", "process", "args", args,
			     "env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	if (c.config == NULL)
		return error("out of memory"), 1;
	if ((pid = spawn(&c, &sync)) == -1 || write(sync, "R", 1) != 1)
		return 1;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return error("waitpid: %s", strerror(errno)), 1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, 'r' }, { 0 },
	};
	static const struct { const char *name; int (*run)(int, char **); } commands[] = {
		{ "create", cmd_create }, { "start", cmd_start }, { "state", cmd_state },
		{ "kill", cmd_kill }, { "delete", cmd_delete },
	};
	static char root[PATH_MAX];
	int opt;

	snprintf(root, sizeof(root), "/run/%s", program_invocation_short_name);
	state_root = root;
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1)
		if (opt == 'r')
			state_root = optarg;
		else
			return usage();
	if (optind == argc)
		return usage();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0) {
			optind++;
			/* The command's own arguments, as argv[1...]. */
			argv[optind - 1] = argv[0];
			argc -= optind - 1;
			argv += optind - 1;
			optind = 1;
			return commands[i].run(argc, argv);
		}
	return run_command(argv + optind);
}
