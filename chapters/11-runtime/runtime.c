/*
 * runtime.c: an OCI runtime, the lifecycle (chapter 11, everything before
 * it put together).
 *
 *     usage: runtime [GLOBAL...] create [--bundle DIR] [--pid-file FILE]
 *                    [--console-socket PATH] ID
 *            runtime [GLOBAL...] start|state ID
 *            runtime [GLOBAL...] kill [--all] ID [SIGNAL]
 *            runtime [GLOBAL...] delete [--force] ID
 *            runtime [GLOBAL...] run [--bundle DIR] [--pid-file FILE] ID
 *            runtime --version
 *
 * A bundle is a folder holding config.json and the root file system it
 * names.  create makes the container's process in its namespaces, with its
 * mounts, root, limits and powers, stopped just before it runs its program;
 * start lets it run the program; state prints its status; kill signals it;
 * delete removes what create made.  run does all four, for a person at a
 * shell.  The states live in /run/NAME (as root; $XDG_RUNTIME_DIR/NAME
 * otherwise), or --root DIR.  GLOBAL: --root DIR, --log FILE, --log-format
 * text|json, --debug, and two that podman may pass, --cgroup-manager
 * cgroupfs and --systemd-cgroup (refused: this runtime makes its cgroups
 * itself).
 *
 * Exit status: 0; run: the program's, 128+N if signal N killed it, 127 or
 * 126 if it could not be run; 1 when a command failed (one line says why);
 * 2 for a usage error.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "runtime.h"

/* What create and run are given. */
struct create_options {
	const char *bundle, *pid_file, *console_socket;
	int preserve_fds;
};

/* Prints the usage and returns 2, the status of a usage error. */
static int usage(void)
{
	fprintf(stderr, "usage: %s [--root DIR] [--log FILE] [--log-format text|json] "
		"[--debug] COMMAND\n  create [--bundle DIR] [--pid-file FILE] "
		"[--console-socket PATH] ID\n  start ID | state ID | kill [--all] ID "
		"[SIGNAL] | delete [--force] ID\n  run [--bundle DIR] [--pid-file FILE] "
		"ID | --version\n", program_invocation_short_name);
	return 2;
}

/* Returns rc, the status of a command, but for -1, a failure: reports the
 * error kept, and returns 1. */
static int exit_status(int rc)
{
	if (rc == -1)
		report();
	return rc == -1 ? 1 : rc;
}

/* Writes pid to path, whole or not at all, without a newline: conmon reads
 * it with atoi(), and runtime-tools refuses anything after the digits. */
static int write_pid_file(const char *path, pid_t pid)
{
	char tmp[PATH_MAX + 8], text[16];
	int fd, n = snprintf(text, sizeof(text), "%d", pid);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, text, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		fail("write the pid file `%s`", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Connects to the console socket, where conmon waits for the terminal's
 * master; returns the socket, or -1. */
static int connect_console(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return fail_msg("console socket `%s`: path too long", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1) {
		fail("connect to the console socket `%s`", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Makes the container id as create does, up to its process waiting on the
 * exec fifo, with its state saved and its pid file written.  Returns the
 * sync socket (still open: the process dies with us until released), or
 * -1 with nothing left behind; *code is the status to exit with. */
static int make_container(struct container *c, const struct create_options *o,
			  const char *id, bool run, int *code)
{
	static char bundle[PATH_MAX], rootfs[PATH_MAX + 8], fifo[4200];
	struct setup s = { .rootfs = rootfs, .fifo = fifo, .console_fd = -1,
			   .preserve_fds = o->preserve_fds, .die_with_parent = run };
	json_t *dirs = NULL;
	const char *root;
	char kept[1024];
	int sync = -1;
	pid_t pid = 0;

	*code = 1;
	if (state_make(c, id) == -1)
		return -1;	/* a duplicate id is refused before anything */
	if (realpath(o->bundle, bundle) == NULL) {
		fail("bundle `%s`", o->bundle);
		goto undo;
	}
	if ((s.config = config_load(bundle)) == NULL)
		goto undo;
	root = cfg_str(cfg_get(s.config, "root"), "path");
	snprintf(rootfs, sizeof(rootfs), "%s%s%s", root[0] == '/' ? "" : bundle,
		 root[0] == '/' ? "" : "/", root);
	if (cfg_bool(cfg_get(s.config, "process"), "terminal") && o->console_socket == NULL) {
		fail_msg("process.terminal is true: give --console-socket, where the "
			 "terminal is sent");
		goto undo;
	}
	if (o->console_socket != NULL && (s.console_fd = connect_console(o->console_socket)) == -1)
		goto undo;
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", c->dir);
	if (mkfifo(fifo, 0622) == -1) {
		fail("mkfifo `%s`", fifo);
		goto undo;
	}
	if ((sync = container_spawn(&s, &pid)) == -1)
		goto undo;
	/* The cgroup before the set-up: everything the process does counts. */
	if ((dirs = cgroup_enter(s.config, id, pid)) == NULL ||
	    container_set_up(sync, pid, code) == -1)
		goto undo;
	c->pid = pid;
	snprintf(c->bundle, sizeof(c->bundle), "%s", bundle);
	if (state_save(c, s.config, dirs) == -1 ||
	    (o->pid_file != NULL && write_pid_file(o->pid_file, pid) == -1))
		goto undo;
	debug("created %s: pid %d", id, pid);
	if (s.console_fd != -1)
		close(s.console_fd);
	json_decref(dirs);
	json_decref(s.config);
	return sync;
undo:
	/* Whatever failed, it leaves nothing: no process, cgroup or state; and
	 * undoing must not lose the reason we undo. */
	snprintf(kept, sizeof(kept), "%s", last_error());
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (dirs != NULL)
		cgroup_remove(dirs);
	if (sync != -1)
		close(sync);
	if (s.console_fd != -1)
		close(s.console_fd);
	if (o->pid_file != NULL && pid > 0)
		unlink(o->pid_file);
	state_remove(c);
	fail_msg("%s", kept);
	json_decref(dirs);
	json_decref(s.config);
	return -1;
}

/* Lets a created container run its program: one byte down the exec fifo,
 * which its process waits on, and the fifo goes (the status is now
 * running).  Returns 0 or -1. */
static int start_container(struct container *c)
{
	char fifo[4200];
	enum status s = state_status(c);
	int fd;

	if (s != CREATED)
		return fail_msg("container %s is %s: only a created container can start",
				c->id, status_name(s));
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", c->dir);
	/* Without O_NONBLOCK, a fifo whose reader died would hold us here. */
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return fail("open the exec fifo of %s", c->id);
	if (write(fd, "0", 1) != 1) {
		fail("write the exec fifo of %s", c->id);
		close(fd);
		return -1;
	}
	close(fd);
	if (unlink(fifo) == -1)
		return fail("remove `%s`", fifo);
	return 0;
}

/* Removes what create made: the cgroup and the state.  Returns 0 or -1. */
static int remove_container(struct container *c)
{
	return cgroup_remove(cfg_get(c->state, "cgroups")) == -1 ? -1 : state_remove(c);
}

/* Parses --bundle, --pid-file and the others of create and run, then the
 * id; returns it, or NULL for a usage error. */
static const char *parse_create(int argc, char *argv[], struct create_options *o)
{
	static const struct option options[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ 0 },
	};
	int opt;

	*o = (struct create_options){ .bundle = "." };
	optind = 0;	/* a fresh getopt for the command's own options */
	while ((opt = getopt_long(argc, argv, "+b:", options, NULL)) != -1) {
		switch (opt) {
		case 'b': o->bundle = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'c': o->console_socket = optarg; break;
		case 'f': o->preserve_fds = atoi(optarg); break;
		/* This runtime makes no session keyring: what --no-new-keyring
		 * asks for is what it always does. */
		case 'k': break;
		case 'P':
			exit(exit_status(fail_msg("--no-pivot is not supported: this "
						  "runtime always uses pivot_root (chapter 7)")));
		default: return NULL;
		}
	}
	return optind == argc - 1 ? argv[optind] : NULL;
}

/* create: the container, waiting for start; its pid in --pid-file.  run:
 * create, start, wait, delete; the program's status. */
static int cmd_create(int argc, char *argv[])
{
	bool run = strcmp(argv[0], "run") == 0;
	struct create_options o;
	const char *id = parse_create(argc, argv, &o);
	struct container c;
	int code, sync, status;
	pid_t pid;

	if (id == NULL)
		return usage();
	/* Like conmon, run adopts what the container leaves, and reaps it. */
	if (run && prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		return fail("prctl PR_SET_CHILD_SUBREAPER");
	if ((sync = make_container(&c, &o, id, run, &code)) == -1) {
		report();
		return code;
	}
	/* Let go of the process: it waits on the fifo, and outlives create. */
	if (container_release(sync) == -1 || (run && start_container(&c) == -1)) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, NULL, 0);
		remove_container(&c);
		return -1;
	}
	if (!run)
		return 0;
	while ((pid = waitpid(-1, &status, 0)) != c.pid)
		if (pid == -1 && errno != EINTR)
			return fail("waitpid %d", c.pid);
	if (remove_container(&c) == -1)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* start ID: lets the program run.  state ID: prints the state. */
static int cmd_start_or_state(int argc, char *argv[])
{
	struct container c;

	if (argc != 2)
		return usage();
	if (state_load(&c, argv[1]) == -1)
		return -1;
	if (strcmp(argv[0], "start") == 0)
		return start_container(&c);
	state_print(&c);
	return 0;
}

/* Returns the signal named by text ("9", "KILL", "SIGKILL"), or 0. */
static int signal_named(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (*end == '\0')
		return n > 0 && n < NSIG ? (int)n : 0;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigabbrev_np(sig) != NULL && strcasecmp(text, sigabbrev_np(sig)) == 0)
			return sig;
	return 0;
}

/* Parses the command's one flag, --NAME or its first letter (kill --all,
 * delete --force), into *on; returns 0, or -1 for another option. */
static int parse_flag(int argc, char *argv[], const char *name, bool *on)
{
	const struct option options[] = { { name, no_argument, NULL, name[0] }, { 0 } };
	const char letters[] = { '+', name[0], '\0' };
	int opt;

	*on = false;
	optind = 0;
	while ((opt = getopt_long(argc, argv, letters, options, NULL)) != -1) {
		if (opt != name[0])
			return -1;
		*on = true;
	}
	return 0;
}

static int cmd_kill(int argc, char *argv[])
{
	struct container c;
	int sig = SIGTERM;
	bool all;

	if (parse_flag(argc, argv, "all", &all) == -1)
		return usage();
	if (optind == argc - 2) {
		argc--;
		if ((sig = signal_named(argv[argc])) == 0)
			return fail_msg("kill: unknown signal %s", argv[argc]);
	}
	if (optind != argc - 1)
		return usage();
	if (state_load(&c, argv[optind]) == -1)
		return -1;
	if (state_status(&c) == STOPPED)
		return fail_msg("container %s is stopped: there is no process to signal", c.id);
	if (all)
		return cgroup_kill(cfg_get(c.state, "cgroups"), sig);
	return kill(c.pid, sig) == -1 ? fail("kill %d", c.pid) : 0;
}

static int cmd_delete(int argc, char *argv[])
{
	struct container c;
	enum status s;
	bool force;

	if (parse_flag(argc, argv, "force", &force) == -1 || optind != argc - 1)
		return usage();
	if (state_load(&c, argv[optind]) == -1)
		return -1;
	s = state_status(&c);
	if (s != STOPPED && !force)
		return fail_msg("container %s is %s: stop it first, or delete --force", c.id,
				status_name(s));
	if (s != STOPPED) {
		/* Its processes first, then it: a cgroup with tasks stays. */
		if (json_array_size(cfg_get(c.state, "cgroups")) > 0)
			cgroup_kill(cfg_get(c.state, "cgroups"), SIGKILL);
		if (kill(c.pid, SIGKILL) == -1 && errno != ESRCH)
			return fail("kill %d", c.pid);
		for (int tries = 0; state_status(&c) != STOPPED; tries++) {
			if (tries == 500)
				return fail_msg("container %s: its process %d did not die",
						c.id, c.pid);
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		}
	}
	return remove_container(&c);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "cgroup-manager", required_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	static const struct { const char *name; int (*run)(int, char **); } commands[] = {
		{ "create", cmd_create }, { "run", cmd_create },
		{ "start", cmd_start_or_state }, { "state", cmd_start_or_state },
		{ "kill", cmd_kill }, { "delete", cmd_delete },
	};
	const char *root = NULL, *log = NULL, *format = "text";
	int opt;

	/* Global options first, then the command: "+" stops at it. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (opt) {
		case 'r': root = optarg; break;
		case 'l': log = optarg; break;
		case 'f': format = optarg; break;
		case 'd': debugging = true; break;
		case 's':
			return exit_status(fail_msg("--systemd-cgroup is not supported: this "
						    "runtime makes its cgroups itself "
						    "(podman --cgroup-manager=cgroupfs)"));
		case 'm':
			if (strcmp(optarg, "cgroupfs") == 0)
				break;	/* what this runtime does anyway */
			return exit_status(fail_msg("--cgroup-manager %s is not supported: "
						    "only cgroupfs", optarg));
		case 'v':
			printf("%s version 0.1\nspec: %s\n", program_invocation_short_name,
			       OCI_VERSION);
			return 0;
		default: return usage();
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return usage();
	if (log != NULL && errors_log_to(log, strcmp(format, "json") == 0) == -1)
		return exit_status(-1);
	if (optind == argc)
		return usage();
	state_root(root);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0) {
			/* The command's own options and arguments, as argv;
			 * usage() says what getopt would. */
			opterr = 0;
			return exit_status(commands[i].run(argc - optind, argv + optind));
		}
	fprintf(stderr, "%s: unknown command %s\n", program_invocation_short_name,
		argv[optind]);
	return usage();
}
