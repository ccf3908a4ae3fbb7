/*
 * fork_bomb.c: a process limit that holds a fork bomb, and reported
 *
 *     usage: fork_bomb [--memory BYTES] [--pids N] [--cpu PERCENT] COMMAND [ARG...]
 *
 * cgroup.c, whose process limit is yours to write: with --pids N, the
 * command and all it starts are at most N processes (threads count too),
 * and this program says when fork() was refused, from the cgroup's own
 * count.  See chapters/08-cgroup/exercises.md, A fork bomb that stops.
 *
 * Exit status: the command's, 128+N if signal N killed it (137 after the OOM
 * killer), 128+N if signal N stopped this program, 127 or 126 if it could not
 * be run, 1 if a step before it failed, 2 for a usage error or a controller
 * this machine does not have.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)
#define CPU_PERIOD 100000	/* microseconds: the kernel's default period */
#define MAX_HIERARCHIES 16

/* The child runs on this stack when clone3() is not there. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The controllers, as the kernel names them, which are also the options. */
enum { MEMORY, PIDS, CPU, NCONTROLLERS };
static const char *const controllers[NCONTROLLERS] = {
	[MEMORY] = "memory", [PIDS] = "pids", [CPU] = "cpu",
};

/* The limits asked for, 0 for none, and as they were written. */
static long long limit[NCONTROLLERS];
static const char *limit_text[NCONTROLLERS];

/* A hierarchy this program uses: where it is mounted, and our folders in it. */
struct hierarchy {
	char mount[PATH_MAX];	/* where the machine mounted it */
	char root[PATH_MAX];	/* which of its folders is at the mount */
	char opts[256];		/* v1: its controllers, "memory" or "cpu,cpuacct" */
	bool v2;
	bool wanted;		/* it holds a controller asked for, or it tracks */
	char top[PATH_MAX];	/* the highest folder of our path we may write */
	char parent[PATH_MAX];	/* top/workbook */
	char dir[PATH_MAX];	/* parent/cgroup-PID: the child's */
	bool made;		/* dir exists */
};
static struct hierarchy hier[MAX_HIERARCHIES];
static int nhier;
static struct hierarchy *v2;			/* the v2 tree, if any */
static struct hierarchy *home[NCONTROLLERS];	/* where each controller is */

/* The pipe the parent writes one byte on once the child is in its cgroup. */
static int ready[2] = { -1, -1 };

/* The child, for the signal handler, and the signal that stopped us. */
static volatile pid_t child = -1;
static volatile sig_atomic_t stopped_by;

/* Prints "cgroup: STEP: REASON", the reason from errno, for a step that
 * failed; returns 1, the status of a failed step. */
__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	int err = errno;	/* before stdio, which may change it */
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return 1;
}

/* Writes text to the file dir/name.  Returns 0, or -1 with errno set. */
static int put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

/* Reads the file dir/name into buf.  Returns 0, or -1 with errno set. */
static int get(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Returns the value of "KEY VALUE" in the file dir/name (memory.events,
 * pids.events, memory.oom_control), or 0. */
static long long counter(const char *dir, const char *name, const char *key)
{
	char buf[4096], *at = buf;
	size_t k = strlen(key);

	if (get(dir, name, buf, sizeof(buf)) == -1)
		return 0;
	while (at != NULL && *at != '\0') {
		if (strncmp(at, key, k) == 0 && at[k] == ' ')
			return atoll(at + k + 1);
		at = strchr(at, '\n');
		at = at != NULL ? at + 1 : NULL;
	}
	return 0;
}

/* Returns true if the comma-separated list holds word. */
static bool listed(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *at = list; (at = strstr(at, word)) != NULL; at += n)
		if ((at == list || at[-1] == ',' || at[-1] == ' ') &&
		    (at[n] == '\0' || at[n] == ',' || at[n] == ' ' || at[n] == '\n'))
			return true;
	return false;
}

/* Returns true if every controller of the comma-separated list, and there is
 * one at least, is among the mount options of the v1 hierarchy h: the line
 * of /proc/self/cgroup that stands for h. */
static bool same_controllers(const char *list, const struct hierarchy *h)
{
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", list);
	for (char *word = strtok_r(copy, ",", &save); word != NULL;
	     word = strtok_r(NULL, ",", &save))
		if (!listed(h->opts, word))
			return false;
	return *list != '\0';
}

/* Reads the machine's cgroup mounts from /proc/self/mountinfo: a cgroup2
 * one is the v2 tree, each cgroup one a v1 hierarchy.  A later mount on the
 * same folder hides an earlier one.  Returns 0, or 1 with a message. */
static int find_hierarchies(void)
{
	FILE *in = fopen("/proc/self/mountinfo", "re");
	char line[4096], root[PATH_MAX], mount[PATH_MAX], type[64], opts[256];

	if (in == NULL)
		return fail("open /proc/self/mountinfo");
	/* "ID PARENT MAJ:MIN ROOT MOUNT OPTIONS [TAGS...] - TYPE SOURCE SUPER" */
	while (fgets(line, sizeof(line), in) != NULL) {
		char *dash = strstr(line, " - ");
		struct hierarchy *h = &hier[nhier];

		if (dash == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root,
					   mount) != 2 ||
		    sscanf(dash, " - %63s %*s %255s", type, opts) != 2 ||
		    (strcmp(type, "cgroup2") != 0 && strcmp(type, "cgroup") != 0))
			continue;
		for (int i = 0; i < nhier; i++)
			if (strcmp(hier[i].mount, mount) == 0)
				h = &hier[i];
		if (h == &hier[nhier] && nhier == MAX_HIERARCHIES)
			continue;
		if (h == &hier[nhier])
			nhier++;
		snprintf(h->mount, sizeof(h->mount), "%s", mount);
		snprintf(h->root, sizeof(h->root), "%s", root);
		snprintf(h->opts, sizeof(h->opts), "%s", opts);
		h->v2 = strcmp(type, "cgroup2") == 0;
		if (h->v2)
			v2 = h;
		else if (v2 == h)
			v2 = NULL;
	}
	fclose(in);
	return 0;
}

/* Finds, in /proc/self/cgroup, our folder in h ("0::PATH" for v2,
 * "ID:CONTROLLERS:PATH" for v1), then the highest folder of that path we
 * may write to.  Returns 0, or -1 if there is none. */
static int find_top(struct hierarchy *h)
{
	FILE *in = fopen("/proc/self/cgroup", "re");
	char line[4096], own[PATH_MAX] = "", *path, *slash;
	size_t k = strlen(h->root);

	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL) {
		char *list = strchr(line, ':');

		path = list != NULL ? strchr(list + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*list++ = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		/* "0::PATH" is v2's line; a v1 line lists its controllers. */
		if (h->v2 ? strcmp(line, "0") == 0 : same_controllers(list, h))
			snprintf(own, sizeof(own), "%s", path);
	}
	fclose(in);
	/* The mount shows the folder ROOT of the hierarchy (a container's
	 * own, say): our path is below it, or we cannot reach it. */
	if (*own == '\0' || (strcmp(h->root, "/") != 0 &&
			     (strncmp(own, h->root, k) != 0 ||
			      (own[k] != '/' && own[k] != '\0'))))
		return -1;
	path = strcmp(h->root, "/") == 0 ? own : own + k;
	/* Down from the mount, one folder at a time. */
	snprintf(h->top, sizeof(h->top), "%s", h->mount);
	for (;;) {
		char procs[PATH_MAX + 16];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", h->top);
		if (access(h->top, W_OK) == 0 && access(procs, W_OK) == 0)
			return 0;
		while (*path == '/')
			path++;
		if (*path == '\0')
			return -1;
		slash = strchr(path, '/');
		k = slash != NULL ? (size_t)(slash - path) : strlen(path);
		snprintf(h->top + strlen(h->top), sizeof(h->top) - strlen(h->top),
			 "/%.*s", (int)k, path);
		path += k;
	}
}

/* Picks the hierarchies: each controller asked for lives in the v2 tree if
 * that offers it, else in the v1 hierarchy that has it.  The v2 tree is
 * used whenever there is one we may write to; without it, the pids
 * hierarchy is, to find every process of the command at the end.  Returns
 * 0; 2 with a message for a controller this machine lacks; 1 with one when
 * a hierarchy needed has no folder we may write to. */
static int choose(void)
{
	char offered[1024] = "";
	bool any = false;

	if (v2 != NULL) {
		v2->wanted = find_top(v2) == 0;
		get(v2->wanted ? v2->top : v2->mount, "cgroup.controllers",
		    offered, sizeof(offered));
		any = v2->wanted;
	}
	for (int c = 0; c < NCONTROLLERS; c++) {
		struct hierarchy *h = NULL;

		if (limit[c] == 0 && (c != PIDS || any))
			continue;
		if (v2 != NULL && listed(offered, controllers[c]))
			h = v2;
		for (int i = 0; i < nhier && h == NULL; i++)
			if (!hier[i].v2 && listed(hier[i].opts, controllers[c]))
				h = &hier[i];
		if (h == NULL && limit[c] == 0)
			continue;
		if (h == NULL) {
			fprintf(stderr, "%s: --%s: this machine has no %s "
				"controller: not in cgroup v2's cgroup.controllers, "
				"nor mounted as a v1 hierarchy\n",
				program_invocation_short_name, controllers[c],
				controllers[c]);
			return 2;
		}
		if (h == v2 ? !v2->wanted : find_top(h) == -1) {
			fprintf(stderr, "%s: no folder of the %s hierarchy at %s is "
				"ours to write to: %s\n", program_invocation_short_name,
				controllers[c], h->mount, h == v2 ?
				"run as root, or in a cgroup delegated to you "
				"(`systemd-run --user --scope -p Delegate=yes ...`)" :
				"on cgroup v1 only root makes cgroups (try sudo, or "
				"`make lab`)");
			return 1;
		}
		home[c] = h;
		h->wanted = any = true;
	}
	if (!any) {
		fprintf(stderr, "%s: no cgroup hierarchy here is ours to write "
			"to: run as root, or in a cgroup delegated to you\n",
			program_invocation_short_name);
		return 1;
	}
	return 0;
}

/* On v2, a controller works in a folder only if its parent lists it in
 * cgroup.subtree_control.  Turns on, in dir's, the controllers asked for
 * that live in v2 and are not on yet.  Returns 0, or -1 with errno set. */
static int enable(const char *dir)
{
	char on[1024] = "", word[32];

	if (get(dir, "cgroup.subtree_control", on, sizeof(on)) == -1)
		return -1;
	for (int c = 0; c < NCONTROLLERS; c++) {
		if (home[c] != v2 || limit[c] == 0 || listed(on, controllers[c]))
			continue;
		snprintf(word, sizeof(word), "+%s", controllers[c]);
		if (put(dir, "cgroup.subtree_control", word) == -1)
			return -1;
	}
	return 0;
}

/* Makes top/workbook and, in it, the child's folder cgroup-PID; on v2 with
 * the controllers turned on in both parents first.  Returns 0, or 1 with a
 * message. */
static int make_cgroup(struct hierarchy *h)
{
	snprintf(h->parent, sizeof(h->parent), "%s/workbook", h->top);
	snprintf(h->dir, sizeof(h->dir), "%s/cgroup-%d", h->parent, getpid());
	/* workbook/ is shared by every run: another's may remove it between
	 * our mkdir() of it and ours of the folder in it.  Then try again. */
	for (int tries = 0;; tries++) {
		if (h->v2 && enable(h->top) == -1)
			return fail("write `%s/cgroup.subtree_control`%s", h->top,
				    errno == EBUSY ? " (it holds processes: a "
				    "cgroup that does may not share out "
				    "controllers)" : "");
		if (mkdir(h->parent, 0755) == -1 && errno != EEXIST)
			return fail("mkdir `%s`", h->parent);
		if (h->v2 && enable(h->parent) == -1 && (errno != ENOENT || tries > 3))
			return fail("write `%s/cgroup.subtree_control`", h->parent);
		if (mkdir(h->dir, 0755) == 0)
			break;
		if (errno != ENOENT || tries > 3)
			return fail("mkdir `%s`", h->dir);
	}
	h->made = true;
	return 0;
}

/* Writes the limits into the child's folders, before the child runs: a
 * limit written after would come too late for what it did meanwhile.
 * Returns 0, or 1 with a message. */
static int write_limits(void)
{
	struct hierarchy *h;
	char text[64];

	/* Memory: memory.max, or v1's memory.limit_in_bytes.  Swap is memory
	 * too: a process over the limit would go to swap rather than be
	 * stopped.  v1 counts the two together (memsw), a sum that may not be
	 * below the memory limit: it comes second. */
	if ((h = home[MEMORY]) != NULL && limit[MEMORY] > 0) {
		snprintf(text, sizeof(text), "%lld", limit[MEMORY]);
		if (put(h->dir, h == v2 ? "memory.max" : "memory.limit_in_bytes",
			text) == -1)
			return fail("write %s to the memory limit in `%s`", text,
				    h->dir);
		if (put(h->dir, h == v2 ? "memory.swap.max" :
			"memory.memsw.limit_in_bytes", h == v2 ? "0" : text) == -1 &&
		    errno != ENOENT)
			return fail("write the swap limit in `%s`", h->dir);
	}
	/*
	 * TODO: the process limit, in h = home[PIDS] when limit[PIDS] > 0:
	 * limit[PIDS] to pids.max, the same file on v1 and v2, checked with
	 * put(), a failure named with fail().  See 8.6 "Exercises", A fork
	 * bomb that stops.
	 */
	/* CPU: a quota of run time in each period, in microseconds, for all
	 * the CPUs together: cpu.max "QUOTA PERIOD", or v1's
	 * cpu.cfs_quota_us and cpu.cfs_period_us. */
	if ((h = home[CPU]) != NULL && limit[CPU] > 0) {
		long long quota = limit[CPU] * CPU_PERIOD / 100;

		snprintf(text, sizeof(text), "%lld %d", quota, CPU_PERIOD);
		if (h == v2 && put(h->dir, "cpu.max", text) == -1)
			return fail("write %s to `%s/cpu.max`", text, h->dir);
		snprintf(text, sizeof(text), "%lld", quota);
		if (h != v2 && (put(h->dir, "cpu.cfs_period_us", "100000") == -1 ||
				put(h->dir, "cpu.cfs_quota_us", text) == -1))
			return fail("write %s to `%s/cpu.cfs_quota_us`", text, h->dir);
	}
	return 0;
}

/* Says, on one line each, if the kernel stopped the command at a limit,
 * from the cgroup's own counters: the exit status alone cannot tell the
 * OOM killer's SIGKILL from another. */
static void report(void)
{
	struct hierarchy *h;
	long long n;

	if ((h = home[MEMORY]) != NULL && limit[MEMORY] > 0 &&
	    (n = counter(h->dir, h == v2 ? "memory.events" : "memory.oom_control",
			 "oom_kill")) > 0)
		fprintf(stderr, "%s: out of memory: the kernel killed %lld "
			"process%s of the command at its limit of %s (%s "
			"oom_kill %lld)\n", program_invocation_short_name, n,
			n == 1 ? "" : "es", limit_text[MEMORY], h == v2 ?
			"memory.events" : "memory.oom_control", n);
	/*
	 * TODO: when fork() was refused at the limit, one line on stderr that
	 * names the limit and quotes the cgroup's count: "max N" of
	 * pids.events, in home[PIDS]'s folder (counter() reads it).  See 8.6
	 * "Exercises", A fork bomb that stops.
	 */
}

/* Kills whatever is still in h's folder and waits, a second at most, for
 * it to be empty: a folder that holds a process cannot be removed (EBUSY).
 * cgroup.kill (Linux 5.14) kills the whole cgroup at once; without it, each
 * process listed, until none is. */
static void empty(struct hierarchy *h)
{
	char procs[65536];

	if (h->v2 && put(h->dir, "cgroup.kill", "1") == 0) {
		for (int ms = 0; ms < 1000; ms++) {
			if (counter(h->dir, "cgroup.events", "populated") == 0)
				return;
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		}
		return;
	}
	for (int ms = 0; ms < 1000; ms++) {
		char *save = NULL;

		if (get(h->dir, "cgroup.procs", procs, sizeof(procs)) == -1 ||
		    procs[0] == '\0')
			return;
		for (char *pid = strtok_r(procs, "\n", &save); pid != NULL;
		     pid = strtok_r(NULL, "\n", &save))
			kill((pid_t)atoi(pid), SIGKILL);
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}

/* Empties and removes every folder we made, and workbook/ when no other
 * run uses it.  Returns 0, or 1 with a message. */
static int remove_cgroups(void)
{
	int failed = 0;

	for (int i = 0; i < nhier; i++) {
		struct hierarchy *h = &hier[i];

		if (h->parent[0] == '\0')
			continue;
		if (h->made) {
			empty(h);
			if (rmdir(h->dir) == -1) {
				failed = fail("rmdir `%s`", h->dir);
				continue;
			}
			h->made = false;
		}
		/* EBUSY: another run's folder is in it. */
		if (rmdir(h->parent) == -1 && errno != EBUSY && errno != ENOENT)
			failed = fail("rmdir `%s`", h->parent);
		h->parent[0] = '\0';
	}
	return failed;
}

/* SIGINT or SIGTERM: the command goes too, and its cgroup after it.  The
 * child is PID 1 of its namespace: its end takes every process with it. */
static void on_signal(int sig)
{
	stopped_by = sig;
	if (child > 0)
		kill(child, SIGKILL);
}

/* Runs in the child: wait until it is in its cgroup, take a cgroup
 * namespace, then become the command.  Returns only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	sigset_t none;
	char c;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");
	/* The parent's handlers are for the parent; an ignored SIGPIPE would
	 * stay ignored in the command. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Our copy of the write end must go, or a parent that died would
	 * leave us waiting for ever instead of reading end of file. */
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "%s: the parent did not set up the cgroup\n",
			program_invocation_short_name);
		return 1;
	}
	close(ready[0]);

	/* The namespace's root is the cgroup we are in when we make it: in
	 * ours, now, so that /proc/self/cgroup reads "0::/". */
	if (unshare(CLONE_NEWCGROUP) == -1)
		return fail("unshare CLONE_NEWCGROUP");
	/* Without this, a shared "/" would carry the new /proc back to the parent. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail("mount / MS_REC|MS_PRIVATE");
	/* A proc mounted by a process shows that process's PID namespace. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1)
		return fail("mount proc on /proc");

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Starts the child in the v2 folder, if we use one, with clone3(); where the
 * kernel has no clone3() or no CLONE_INTO_CGROUP (before 5.7), with
 * clone(), left for the parent to move.  Returns its pid, or -1. */
static pid_t start(char **argv, bool *moved)
{
	struct clone_args args = {
		.flags = CLONE_NEWPID | CLONE_NEWNS,
		.exit_signal = SIGCHLD,
	};
	int fd = -1;
	pid_t pid;

	*moved = false;
	if (v2 != NULL && v2->made) {
		fd = open(v2->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			return -1;
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (unsigned)fd;
	}
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(child_main(argv));
	if (fd != -1)
		close(fd);
	if (pid > 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL)) {
		*moved = pid > 0 && fd != -1;
		return pid;
	}
	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	return clone(child_main, child_stack + STACK_SIZE,
		     CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, argv);
}

/* Reads a limit: digits, and for sizes a K, M or G after them.  Returns it,
 * or prints why it is no limit and returns -1. */
static long long parse(const char *option, const char *text, bool size,
		       long long most)
{
	char *end;
	unsigned long long n;
	int shift = 0;

	errno = 0;
	n = isdigit((unsigned char)text[0]) ? strtoull(text, &end, 10) : 0;
	if (size && isdigit((unsigned char)text[0]) && end[0] != '\0' &&
	    end[1] == '\0' && strchr("KkMmGg", end[0]) != NULL) {
		shift = strchr("Kk", end[0]) ? 10 : strchr("Mm", end[0]) ? 20 : 30;
		end++;
	}
	if (!isdigit((unsigned char)text[0]) || *end != '\0' || errno == ERANGE ||
	    n > (unsigned long long)most >> shift) {
		fprintf(stderr, "%s: --%s %s: not a %s\n",
			program_invocation_short_name, option, text, size ?
			"size (a number of bytes, with K, M or G after it)" :
			"whole number within reach");
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "%s: --%s 0: a limit must be more than 0\n",
			program_invocation_short_name, option);
		return -1;
	}
	return (long long)(n << shift);
}

/* Prints the usage line; returns 2, the status of a usage error. */
static int usage(void)
{
	fprintf(stderr, "usage: %s [--memory BYTES] [--pids N] [--cpu PERCENT] "
		"COMMAND [ARG...]\n", program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "memory", required_argument, NULL, MEMORY },
		{ "pids", required_argument, NULL, PIDS },
		{ "cpu", required_argument, NULL, CPU },
		{ 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct sigaction act = { .sa_handler = on_signal };
	sigset_t stop, old;
	int status, opt, failed = 0, rc;
	bool moved;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		if (opt < 0 || opt >= NCONTROLLERS)
			return usage();
		limit[opt] = parse(controllers[opt], optarg, opt == MEMORY,
				   opt == MEMORY ? LLONG_MAX : opt == PIDS ?
				   INT_MAX : LLONG_MAX / 1000);
		limit_text[opt] = optarg;
		if (limit[opt] == -1)
			return 2;
	}
	if (optind == argc)
		return usage();
	if (cpus < 1)
		cpus = 1;
	if (limit[CPU] > 100 * cpus) {
		fprintf(stderr, "%s: --cpu %lld: more than the %ld%% of this "
			"machine's %ld CPU%s\n", program_invocation_short_name,
			limit[CPU], 100 * cpus, cpus, cpus == 1 ? "" : "s");
		return 2;
	}
	/* Parse first, act after: bad input and a missing controller cost
	 * no folder. */
	if (find_hierarchies() != 0)
		return 1;
	if ((rc = choose()) != 0)
		return rc;

	for (int i = 0; i < nhier; i++)
		if (hier[i].wanted && make_cgroup(&hier[i]) != 0) {
			remove_cgroups();
			return 1;
		}
	if (write_limits() != 0 || pipe(ready) == -1) {
		if (ready[0] == -1)
			fail("pipe");
		remove_cgroups();
		return 1;
	}

	/* SIGINT and SIGTERM wait until the child's pid is known.  A child
	 * killed by them before our byte would make write() raise SIGPIPE,
	 * which would end us with our folders still there. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);

	pid = start(&argv[optind], &moved);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
		remove_cgroups();
		return 1;
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ready[0]);

	/* The v1 folders (and the v2 one, without clone3()) get the child's
	 * pid, while it waits for our byte. */
	for (int i = 0; i < nhier && !failed; i++) {
		char text[32];

		if (!hier[i].made || (&hier[i] == v2 && moved))
			continue;
		snprintf(text, sizeof(text), "%d", pid);
		if (put(hier[i].dir, "cgroup.procs", text) == -1)
			failed = fail("write %d to `%s/cgroup.procs`", pid,
				      hier[i].dir);
	}
	/* The child goes on only on our byte; without it, it goes without a
	 * word: we have said why. */
	if (!failed && write(ready[1], "", 1) != 1)
		failed = fail("write to the child");
	if (failed)
		kill(pid, SIGKILL);
	close(ready[1]);

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			failed = fail("waitpid %d", pid);
			break;
		}
	}
	if (!failed)
		report();
	if (remove_cgroups() != 0 || failed)
		return 1;
	if (stopped_by != 0)
		return 128 + stopped_by;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
