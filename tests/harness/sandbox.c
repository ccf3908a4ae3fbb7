/*
 * sandbox.c: run a program under test in bubblewrap (see sandbox.h).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/internal/ordered-set.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgbox.h"
#include "sandbox.h"

#ifndef TOOLS_DIR
#error "TOOLS_DIR must name the folder that holds the probe and the observer"
#endif
#ifndef BIN_DIR
#error "BIN_DIR must name the folder that holds the worked programs"
#endif

enum {
	TIME_LIMIT_MS = 4000,		/* the program, as the observer counts */
	TIMEOUT_MS = TIME_LIMIT_MS + 6000,	/* a whole run, sandbox included:
					 * time to stop and report at the limit,
					 * also on a loaded machine */
	OUTPUT_LIMIT = 1 << 20,		/* bytes, on stdout and on stderr */
	NPROC_LIMIT = 256,		/* processes in the sandbox */
	MEMORY_LIMIT = 256 << 20,	/* bytes of address space a process */
	FILES_LIMIT = 64 << 20,		/* bytes in each tmpfs of the sandbox */
	MAX_ARGS = 160,
	MAX_TOOLS = 4,			/* the observer, the probe, two more */
};

int sandbox_time_scale(void)
{
	static int scale;

	if (scale == 0) {
		const char *env = getenv("WORKBOOK_TIME_SCALE");

		scale = env != NULL && atoi(env) > 1 ? atoi(env) : 1;
	}
	return scale;
}

/* Criterion's own limits, a suite's and a test's .timeout, stretched as the
 * sandbox's are: its --timeout option can only make them shorter.  The
 * hook runs in the runner, before any test starts. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	if (sandbox_time_scale() == 1)
		return;
	FOREACH_SET(struct criterion_suite_set *s, set->suites) {
		if (s->suite.data != NULL)
			s->suite.data->timeout *= sandbox_time_scale();
		FOREACH_SET(struct criterion_test *t, s->tests)
			if (t->data != NULL)
				t->data->timeout *= sandbox_time_scale();
	}
}

struct argv {
	const char *v[MAX_ARGS];
	int n;
};

/* Appends the given strings to a, stopping at NULL. */
static void push(struct argv *a, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (a->n >= MAX_ARGS - 1)
			cr_assert_fail("sandbox: too many arguments");
		a->v[a->n++] = s;
	}
	va_end(ap);
	a->v[a->n] = NULL;
}

const char *program_under_test(const char *name)
{
	const char *env = getenv("PROGRAM");
	char *path;

	if (env != NULL && *env != '\0')
		return env;
	if (asprintf(&path, "%s/%s", BIN_DIR, name) == -1)
		cr_assert_fail("asprintf: out of memory");
	return path;
}

/* Returns the name of tool number t the sandbox holds: the observer, the
 * probe, then each other "@NAME" of args, in order; NULL past the last. */
static const char *tool_name(const char *const args[], int t)
{
	if (t < 2)
		return t == 0 ? "observer" : "probe";
	for (int i = 0; args != NULL && args[i] != NULL; i++)
		if (args[i][0] == '@' && strcmp(args[i], "@probe") != 0 &&
		    --t == 1)
			return args[i] + 1;
	return NULL;
}

/* Appends what /bin, /lib and their kin need: the same symlink as on this
 * machine (merged /usr), or a read-only bind of the real folder. */
static void push_top(struct argv *a, const char *path)
{
	struct stat st;
	char target[256];
	ssize_t n;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			return;
		target[n] = '\0';
		push(a, "--symlink", strdup(target), path, NULL);
	} else if (S_ISDIR(st.st_mode)) {
		push(a, "--ro-bind", path, path, NULL);
	}
}

/* Fills a with the bubblewrap command line that runs the observer on the
 * scene and the program with args; bubblewrap copies the program, the
 * observer, the probe and any other tool an argument names (@NAME, as
 * /box/NAME) in from the descriptors named in fds, in that order. */
static void sandbox_argv(struct argv *a, char fds[][16], const char *box_program,
			 const char *const scene[], const char *const args[],
			 const char *cg_args, char sync_fds[2][16])
{
	static const char *const tops[] = {
		"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	};
	static char nproc[16], memory[16], time_limit[16], files[16], scale[16];

	snprintf(nproc, sizeof(nproc), "%d", NPROC_LIMIT);
	snprintf(memory, sizeof(memory), "%d", MEMORY_LIMIT);
	snprintf(time_limit, sizeof(time_limit), "%d", TIME_LIMIT_MS * sandbox_time_scale());
	snprintf(scale, sizeof(scale), "%d", sandbox_time_scale());
	snprintf(files, sizeof(files), "%d", FILES_LIMIT);

	push(a, "bwrap", NULL);
	/* With a cgroup: bubblewrap says once it has made the sandbox, and
	 * the sandbox waits until its process is moved out of box/. */
	if (cg_args != NULL)
		push(a, "--info-fd", sync_fds[0], "--block-fd", sync_fds[1], NULL);
	push(a, "--unshare-user", "--uid", "0", "--gid", "0",
	     "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-ipc",
	     "--unshare-cgroup-try", "--hostname", "sandbox", "--as-pid-1",
	     "--die-with-parent", "--new-session", "--cap-add", "ALL",
	     "--clearenv", "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
	     "--setenv", "HOME", "/tmp", "--setenv", "LC_ALL", "C",
	     "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
	     "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", NULL);
	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++)
		push_top(a, tops[i]);
	push(a, "--dir", "/box", "--perms", "0755", "--file", fds[0], box_program,
	     NULL);
	for (int i = 1, t = 0; t < MAX_TOOLS; t++) {
		char *path;

		if (fds[i][0] == '\0')
			break;
		if (asprintf(&path, "/box/%s", tool_name(args, t)) == -1)
			cr_assert_fail("asprintf: out of memory");
		push(a, "--perms", "0755", "--file", fds[i++], path, NULL);
	}
	push(a, "/box/observer", "--nproc", nproc, "--time-limit", time_limit,
	     "--files", files, NULL);
	if (sandbox_time_scale() > 1)
		push(a, "--time-scale", scale, NULL);
	/* A cgroup bounds the sandbox's memory as a whole; without one, each
	 * process's address space is bounded instead. */
	if (cg_args == NULL)
		push(a, "--memory", memory, NULL);
	for (const char *w = cg_args; w != NULL && *w != '\0'; w += strlen(w) + 1)
		push(a, w, NULL);
	for (int i = 0; scene != NULL && scene[i] != NULL; i++) {
		/* The sandbox's cgroup is the test process's to make. */
		if (strcmp(scene[i], "--no-cgroup") == 0)
			continue;
		if (strcmp(scene[i], "--cgroup-lacks") == 0 && scene[i + 1] != NULL) {
			i++;
			continue;
		}
		/* A scene's own time limit stretches as the default does. */
		if (strcmp(scene[i], "--time-limit") == 0 && scene[i + 1] != NULL &&
		    sandbox_time_scale() > 1) {
			static char scene_limit[24];

			snprintf(scene_limit, sizeof(scene_limit), "%ld",
				 atol(scene[i + 1]) * sandbox_time_scale());
			push(a, "--time-limit", scene_limit, NULL);
			i++;
			continue;
		}
		push(a, scene[i], NULL);
	}
	push(a, "--", box_program, NULL);
	for (int i = 0; args != NULL && args[i] != NULL; i++) {
		char *path;

		if (args[i][0] != '@') {
			push(a, args[i], NULL);
			continue;
		}
		if (asprintf(&path, "/box/%s", args[i] + 1) == -1)
			cr_assert_fail("asprintf: out of memory");
		push(a, path, NULL);
	}
}

/* Opens path for bubblewrap to copy; fails the test if it cannot. */
static int open_tool(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		cr_assert_fail("sandbox: cannot open `%s`: %s (run `make` first?)",
			path, strerror(errno));
	return fd;
}

/* Returns true when uid 0 here is the machine's root: in the initial user
 * namespace (or a container sharing it), whose uid_map maps every uid to
 * itself.  Root of any other user namespace is an ordinary user outside. */
static bool real_root(void)
{
	FILE *in = fopen("/proc/self/uid_map", "re");
	unsigned long inner, outer, count;
	bool initial = true;	/* unreadable: assume the worst */

	if (geteuid() != 0)
		return false;
	if (in != NULL) {
		initial = fscanf(in, "%lu %lu %lu", &inner, &outer, &count) == 3 &&
			  inner == 0 && outer == 0 && count == 4294967295UL;
		fclose(in);
	}
	return initial;
}

/* In the forked child: limits, the sandbox's cgroup (box, unless NULL),
 * then the uid spare when we are the machine's root, then bubblewrap.
 * Never returns. */
static void exec_sandbox(struct argv *a, pid_t parent, const int fds[], int out,
			 int err, const struct cgbox *box, uid_t spare)
{
	struct rlimit core = { 0, 0 }, fsize = { 64 << 20, 64 << 20 };
	struct rlimit nproc = { NPROC_LIMIT, NPROC_LIMIT };
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull == -1 || dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 || dup2(err, STDERR_FILENO) == -1)
		_exit(125);
	for (int i = 0; fds[i] != -1; i++)
		if (fcntl(fds[i], F_SETFD, 0) == -1)	/* let bwrap have it */
			_exit(125);
	setrlimit(RLIMIT_CORE, &core);
	setrlimit(RLIMIT_FSIZE, &fsize);
	/* Into box/ while we may still write anywhere: bubblewrap makes the
	 * sandbox's cgroup namespace there. */
	if (box != NULL && cgbox_enter(box) == -1) {
		dprintf(STDERR_FILENO, "sandbox: cannot enter the sandbox's "
			"cgroup: %s\n", strerror(errno));
		_exit(125);
	}
	if (spare != (uid_t)-1) {
		/* Root outside would make the sandbox's root real root: run it
		 * as a uid no one uses, one per test so that the process limit
		 * (counted per uid) is this test's alone. */
		setrlimit(RLIMIT_NPROC, &nproc);
		if (setgroups(0, NULL) == -1 ||
		    setresgid(spare, spare, spare) == -1 ||
		    setresuid(spare, spare, spare) == -1) {
			dprintf(STDERR_FILENO, "sandbox: cannot drop to uid %u: %s\n",
				spare, strerror(errno));
			_exit(125);
		}
	}
	/* A changed uid clears the parent-death signal: set it after. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(125);
	execvp(a->v[0], (char *const *)a->v);
	dprintf(STDERR_FILENO, "sandbox: execvp bwrap: %s\n", strerror(errno));
	_exit(125);
}

/* Returns milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads what is ready on fd into *buf; returns 0 at end of file, -1 past
 * the output limit, 1 otherwise. */
static int take(int fd, char **buf, size_t *len)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0)
		return n == -1 && errno == EINTR ? 1 : 0;
	if (*len + (size_t)n > OUTPUT_LIMIT)
		return -1;
	*buf = realloc(*buf, *len + (size_t)n + 1);
	if (*buf == NULL)
		cr_assert_fail("sandbox: out of memory");
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return 1;
}

/* Collects the child's stdout and stderr until both close, killing it at
 * the time or output limit; then reaps it. */
static void collect(struct run *r, pid_t pid, int out, int err,
		    long long timeout_ms)
{
	struct pollfd p[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	char **bufs[2] = { &r->out, &r->err };
	size_t lens[2] = { 0, 0 };
	long long deadline = now_ms() + timeout_ms * sandbox_time_scale();
	int open_fds = 2;

	while (open_fds > 0) {
		long long left = deadline - now_ms();

		if (left <= 0) {
			r->timed_out = r->unreported = true;
			break;
		}
		if (poll(p, 2, (int)left) == -1 && errno != EINTR)
			cr_assert_fail("sandbox: poll: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			int rc = take(p[i].fd, bufs[i], &lens[i]);

			if (rc == -1)
				r->out_limited = true;
			if (rc <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			}
		}
		if (r->out_limited)
			break;
	}
	if (r->timed_out || r->out_limited)
		kill(pid, SIGKILL);	/* the sandbox dies with it */
	for (int i = 0; i < 2; i++)
		if (p[i].fd != -1)
			close(p[i].fd);
	while (waitpid(pid, &r->status, 0) == -1 && errno == EINTR)
		continue;
	/* bubblewrap's own child, orphaned if we killed bubblewrap, comes to
	 * us (we are a subreaper) and dies of its parent-death signal: reap it
	 * here rather than leave a zombie to whatever init the machine has. */
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		continue;
}

/* Splits r->out into lines tagged with their section, and reads the
 * program's status from "== status". */
static void parse(struct run *r)
{
	const char *section = "";
	char *save = NULL, *copy = strdup(r->out), *line;
	size_t cap = 0;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "== ", 3) == 0) {
			section = line + 3;
			if (strcmp(section, "end inside") == 0) {
				section = "output";
				r->probed = true;
			}
			else if (sscanf(section, "status exit %d", &r->exit_code) == 1 ||
				 sscanf(section, "status signal %d", &r->signal) == 1)
				r->observed = true;
			else if (strcmp(section, "outlived") == 0)
				r->outlived = true;
			else if (strncmp(section, "limit time ", 11) == 0)
				r->timed_out = true;
			else if (sscanf(section, "limit processes %ld",
					&r->nproc_peak) != 1 &&
				 sscanf(section, "limit memory %ld",
					&r->memory_peak_kib) == 1) {
				r->memory_cgroup = strstr(section, " cgroup") != NULL;
				/* Reached, though no process was seen that big. */
				if (r->memory_peak_kib == 0)
					r->memory_peak_kib = 1;
			}
			continue;
		}
		if (r->nlines == cap) {
			cap = cap ? 2 * cap : 256;
			r->lines = realloc(r->lines, cap * sizeof(*r->lines));
			if (r->lines == NULL)
				cr_assert_fail("sandbox: out of memory");
		}
		r->lines[r->nlines].section = section;
		r->lines[r->nlines++].text = line;
	}
}

/* The run cache ($SANDBOX_CACHE): tests that make the same observation,
 * the same program (by its file's identity) on the same scene and
 * arguments, share one run instead of making it again, each checking its
 * own claim on it.  Only what came out of the sandbox is kept; everything
 * is read from it afresh. */

/* Adds the bytes of s and a NUL to the FNV-1a hash h; returns it. */
static unsigned long long hash_in(unsigned long long h, const void *s, size_t n)
{
	const unsigned char *b = s;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return (h ^ 0) * 1099511628211ULL;
}

/* Opens and locks the cache entry of this run, returns its descriptor and
 * its path in *path, or -1 when there is no cache.  A second test with the
 * same run waits here for the first to have made it. */
static int cache_open(char **path, const char *program,
		      const char *const scene[], const char *const args[])
{
	const char *dir = getenv("SANDBOX_CACHE");
	unsigned long long h = 14695981039346656037ULL;
	struct stat st;
	int fd;

	if (dir == NULL || *dir == '\0' || stat(program, &st) == -1)
		return -1;
	h = hash_in(h, &st.st_dev, sizeof(st.st_dev));
	h = hash_in(h, &st.st_ino, sizeof(st.st_ino));
	h = hash_in(h, &st.st_size, sizeof(st.st_size));
	h = hash_in(h, &st.st_mtim, sizeof(st.st_mtim));
	for (int i = 0; scene != NULL && scene[i] != NULL; i++)
		h = hash_in(h, scene[i], strlen(scene[i]));
	h = hash_in(h, "--", 2);
	for (int i = 0; args != NULL && args[i] != NULL; i++)
		h = hash_in(h, args[i], strlen(args[i]));
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (asprintf(path, "%s/%016llx", dir, h) == -1)
		cr_assert_fail("asprintf: out of memory");
	fd = open(*path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd != -1 && flock(fd, LOCK_EX) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Reads a run kept in the entry fd into r; returns true if there was one. */
static bool cache_load(struct run *r, int fd)
{
	FILE *in = fdopen(dup(fd), "r");
	size_t out_len, err_len;
	int timed_out, out_limited;
	bool ok = false;

	if (in == NULL)
		return false;
	if (fscanf(in, "%d %d %d %zu %zu\n", &r->status, &timed_out,
		   &out_limited, &out_len, &err_len) == 5 &&
	    out_len <= OUTPUT_LIMIT && err_len <= OUTPUT_LIMIT) {
		r->out = realloc(r->out, out_len + 1);
		r->err = realloc(r->err, err_len + 1);
		if (r->out == NULL || r->err == NULL)
			cr_assert_fail("sandbox: out of memory");
		ok = fread(r->out, 1, out_len, in) == out_len &&
		     fread(r->err, 1, err_len, in) == err_len;
		r->out[out_len] = r->err[err_len] = '\0';
		r->timed_out = timed_out;
		r->out_limited = out_limited;
	}
	fclose(in);
	return ok;
}

/* Keeps the run r in the entry fd. */
static void cache_save(const struct run *r, int fd)
{
	FILE *out = fdopen(dup(fd), "w");

	if (out == NULL)
		return;
	fprintf(out, "%d %d %d %zu %zu\n", r->status, r->timed_out,
		r->out_limited, strlen(r->out), strlen(r->err));
	fputs(r->out, out);
	fputs(r->err, out);
	fclose(out);
}

/* Returns the word after the scene word key ("--cgroup-lacks"), key itself
 * if it has none, or NULL if the scene lacks key. */
static const char *scene_word(const char *const scene[], const char *key)
{
	for (int i = 0; scene != NULL && scene[i] != NULL; i++)
		if (strcmp(scene[i], key) == 0)
			return scene[i + 1] != NULL ? scene[i + 1] : key;
	return NULL;
}

/* The program's time limit: TIME_LIMIT_MS, or more if the scene asks for
 * it ("--time-limit MS", which the observer reads after its default: a
 * test that holds the command for a measured while). */
static long time_limit_ms = TIME_LIMIT_MS;

static void set_time_limit(const char *const scene[])
{
	const char *ms = scene_word(scene, "--time-limit");

	time_limit_ms = ms != NULL && atol(ms) > TIME_LIMIT_MS ? atol(ms) :
								 TIME_LIMIT_MS;
}

/* Reads what bubblewrap writes on fd once it has made the sandbox, until it
 * closes it (or ms pass): then its own process may leave box/.  Returns 0
 * if it said something. */
static int wait_for_sandbox(int fd, long long ms)
{
	long long deadline = now_ms() + ms;
	char buf[512];
	size_t got = 0;
	ssize_t n = 1;

	while (n != 0 && now_ms() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	return got > 0 ? 0 : -1;
}

void sandbox_run(struct run *r, const char *program, const char *const scene[],
		 const char *const args[])
{
	char *entry = NULL;
	int cache = cache_open(&entry, program, scene, args);

	struct argv a = { .n = 0 };
	int fds[MAX_TOOLS + 4], out[2], err[2], info[2] = { -1, -1 };
	int block[2] = { -1, -1 };
	char fd_names[MAX_TOOLS + 2][16] = { "" }, sync_names[2][16] = { "", "" };
	char *box_program, *copy = strdup(program), *path;
	static char cg_args[1024];
	static struct cgbox box;
	bool cgroup = false;
	const char *tool;
	uid_t spare = real_root() ? 200000 + (uid_t)getpid() % 100000 : (uid_t)-1;
	pid_t parent = getpid(), pid;
	int n = 0, nfds;

	memset(r, 0, sizeof(*r));
	r->out = strdup("");
	r->err = strdup("");
	if (cache != -1 && cache_load(r, cache))
		goto ran;
	fds[n++] = open_tool(program);
	for (int t = 0; t < MAX_TOOLS && (tool = tool_name(args, t)) != NULL; t++) {
		if (asprintf(&path, "%s/%s", TOOLS_DIR, tool) == -1)
			cr_assert_fail("asprintf: out of memory");
		fds[n++] = open_tool(path);
		free(path);
	}
	nfds = n;
	if (asprintf(&box_program, "/box/%s", basename(copy)) == -1)
		cr_assert_fail("asprintf: out of memory");
	for (int i = 0; i < n; i++)
		snprintf(fd_names[i], sizeof(fd_names[i]), "%d", fds[i]);

	set_time_limit(scene);
	/* The sandbox's cgroup, where this machine gives us one (cgbox.h). */
	if (scene_word(scene, "--no-cgroup") == NULL && cgbox_find(&box) == 0) {
		if (cgbox_make(&box, scene_word(scene, "--cgroup-lacks"),
			       MEMORY_LIMIT, NPROC_LIMIT, spare, spare) == -1)
			cr_assert_fail("sandbox: the sandbox's cgroup: %s", box.why);
		if (pipe2(info, O_CLOEXEC) == -1 || pipe2(block, O_CLOEXEC) == -1) {
			cgbox_remove(&box);
			cr_assert_fail("sandbox: pipe2: %s", strerror(errno));
		}
		cgroup = true;
		fds[n++] = info[1];
		fds[n++] = block[0];
		snprintf(sync_names[0], sizeof(sync_names[0]), "%d", info[1]);
		snprintf(sync_names[1], sizeof(sync_names[1]), "%d", block[0]);
		cgbox_mount_args(&box, cg_args, sizeof(cg_args));
	}
	fds[n] = -1;
	sandbox_argv(&a, fd_names, box_program, scene, args,
		     cgroup ? cg_args : NULL, sync_names);

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1 ||
	    pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1 ||
	    (pid = fork()) == -1) {
		int errnum = errno;

		if (cgroup)
			cgbox_remove(&box);
		cr_assert_fail("sandbox: prctl, pipe2 or fork: %s", strerror(errnum));
	}
	if (pid == 0)
		exec_sandbox(&a, parent, fds, out[1], err[1],
			     cgroup ? &box : NULL, spare);
	close(out[1]);
	close(err[1]);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (cgroup) {
		/* Once bubblewrap has made the sandbox, its own process leaves
		 * box/, then the sandbox may go on. */
		close(info[1]);
		close(block[0]);
		if (wait_for_sandbox(info[0], TIMEOUT_MS * sandbox_time_scale()) == 0 &&
		    cgbox_release(&box, pid) == -1)
			kill(pid, SIGKILL);
		if (write(block[1], "1", 1) != 1)
			kill(pid, SIGKILL);
		close(block[1]);
		close(info[0]);
	}
	collect(r, pid, out[0], err[0], TIMEOUT_MS - TIME_LIMIT_MS + time_limit_ms);
	/* Everything in it has ended with bubblewrap. */
	if (cgroup && cgbox_remove(&box) == -1)
		cr_assert_fail("sandbox: the sandbox's cgroup is left: %s", box.why);
	/* A run the sandbox could not start is not worth keeping. */
	if (cache != -1 && !r->unreported &&
	    !(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 125))
		cache_save(r, cache);
ran:
	if (cache != -1)
		close(cache);	/* and its lock */
	free(entry);
	parse(r);
	r->leftovers = run_count(r, "leftover", "task");
	/* A probe that holds runs while the observer looks: a report with no
	 * probe running was printed by something else. */
	for (int i = 0; args != NULL && args[i] != NULL; i++)
		if (strcmp(args[i], "--hold") == 0 && r->probed &&
		    run_count(r, "during", "probe") == 0) {
			r->probed = false;
			r->forged = true;
		}
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 125)
		cr_assert_fail("sandbox: could not start bubblewrap (`make doctor` says "
			       "why):\n%s", r->err);
}

const char *sandbox_cgroup_missing(void)
{
	static struct cgbox box;

	return cgbox_find(&box) == 0 ? NULL : box.why;
}

/* Returns the text of line i after "KEY " if it is in section and starts
 * with key, else NULL. */
static const char *value_of(const struct run *r, size_t i, const char *section,
			    const char *key)
{
	size_t k = strlen(key);

	if (strcmp(r->lines[i].section, section) != 0 ||
	    strncmp(r->lines[i].text, key, k) != 0 || r->lines[i].text[k] != ' ')
		return NULL;
	return r->lines[i].text + k + 1;
}

const char *run_get(const struct run *r, const char *section, const char *key)
{
	const char *v;

	for (size_t i = 0; i < r->nlines; i++)
		if ((v = value_of(r, i, section, key)) != NULL)
			return v;
	return NULL;
}

const char *run_limit(const struct run *r)
{
	char *why = NULL;
	int rc = 0;

	if (r->nproc_peak > 0)
		rc = asprintf(&why, "process limit: the program kept starting "
			      "processes, %ld at once, up to the sandbox's limit "
			      "of %d, and was stopped. Does a loop call fork() "
			      "without end?", r->nproc_peak, NPROC_LIMIT);
	else if (r->memory_peak_kib > 0 && r->memory_cgroup)
		rc = asprintf(&why, "memory limit: the program and all it "
			      "started used all the memory the sandbox's cgroup "
			      "allows, %d MiB (its largest process had %ld MiB), "
			      "and the kernel's OOM killer stopped one. Does a "
			      "loop allocate without end?", MEMORY_LIMIT >> 20,
			      r->memory_peak_kib / 1024);
	else if (r->memory_peak_kib > 0)
		rc = asprintf(&why, "memory limit: the program grew to %ld MiB, "
			      "up to the sandbox's limit of %d MiB a process, "
			      "where malloc() returns NULL. Does a loop allocate "
			      "without end?", r->memory_peak_kib / 1024,
			      MEMORY_LIMIT >> 20);
	else if (r->out_limited)
		rc = asprintf(&why, "output limit: the program printed more "
			      "than %d KiB and was stopped. Does a loop print "
			      "without end?", OUTPUT_LIMIT >> 10);
	else if (r->unreported)
		rc = asprintf(&why, "time limit: the sandbox had not reported "
			      "%ld s after it started, and was stopped. The "
			      "machine may be too busy: grade again once it is "
			      "quieter.", (long)(TIMEOUT_MS - TIME_LIMIT_MS + time_limit_ms) *
			      sandbox_time_scale() / 1000);
	else if (r->timed_out)
		rc = asprintf(&why, "time limit: the program was still running "
			      "after %ld s and was stopped. Does it wait for "
			      "something that never comes, or loop without "
			      "end?", time_limit_ms / 1000);
	else if (r->forged)
		rc = asprintf(&why, "not isolated: the report came from the "
			      "program itself; the command it was given (the "
			      "probe) never ran.");
	else if (r->leftovers > 0)
		rc = asprintf(&why, "left a process behind: %s still ran after "
			      "the program ended, and was killed. A program "
			      "must wait for every process it starts.",
			      run_list(r, "leftover", "task"));
	if (rc == -1)
		cr_assert_fail("asprintf: out of memory");
	return why;
}

const char *run_outlived(const struct run *r)
{
	char *why;

	if (!r->outlived)
		return NULL;
	if (asprintf(&why, "the program %s while its command was still "
		     "running: it did not wait for its child. A waitpid() that "
		     "fails with ECHILD (\"No child processes\") means the "
		     "child was cloned without SIGCHLD in the flags, where "
		     "waitpid() cannot see it: see chapters/00-skeleton/"
		     "README.md, \"SIGCHLD and waitpid()\".", r->signal != 0 ?
		     "was killed by a signal" : r->exit_code == 0 ?
		     "exited with status 0" : "exited with a failing status") == -1)
		cr_assert_fail("asprintf: out of memory");
	return why;
}

bool run_only_left_behind(const struct run *r)
{
	return r->leftovers > 0 && r->nproc_peak == 0 &&
	       r->memory_peak_kib == 0 && !r->out_limited && !r->timed_out &&
	       !r->forged;
}

void expect_probe_ran(const struct run *r)
{
	const char *why = run_limit(r);

	if (why != NULL && !run_only_left_behind(r))
		cr_assert_fail("%s Its stderr:\n%s", why, r->err);
	if ((why = run_outlived(r)) != NULL)
		cr_assert_fail("%s (exit %d) Its stderr:\n%s", why,
			       r->exit_code, r->err);
	if ((why = run_limit(r)) != NULL)
		cr_assert_fail("%s Its stderr:\n%s", why, r->err);
	if (!r->observed)
		cr_assert_fail("the sandbox did not finish its report; "
			       "its stderr:\n%s", r->err);
	if (!r->probed && r->signal != 0)
		cr_assert_fail("the program was killed by signal %d (%s) before "
			       "its command reported; its stderr:\n%s", r->signal,
			       strsignal(r->signal), r->err);
	if (!r->probed)
		cr_assert_fail("the program did not run its command (exit %d); "
			       "its stderr:\n%s", r->exit_code, r->err);
}

const char *run_probe_ns(const struct run *r, const char *type)
{
	const char *probe = run_get(r, "during", "probe");
	char key[64];

	if (probe == NULL)
		return NULL;
	snprintf(key, sizeof(key), "taskns %s %s", probe, type);
	return run_get(r, "during", key);
}

void expect_new_namespace(const struct run *r, const char *type,
			  const char *see)
{
	char key[32];
	const char *inside, *outside;

	snprintf(key, sizeof(key), "ns %s", type);
	inside = run_probe_ns(r, type);
	outside = run_get(r, "before", key);
	cr_expect(inside != NULL && outside != NULL &&
		  strcmp(inside, outside) != 0,
		  "the command's %s namespace is %s, the same as its caller's "
		  "(%s): it asked for no new one. %s", type, inside, outside,
		  see);
}

const char *run_find(const struct run *r, const char *section,
		     const char *prefix)
{
	size_t k = strlen(prefix);

	for (size_t i = 0; i < r->nlines; i++)
		if (strcmp(r->lines[i].section, section) == 0 &&
		    strncmp(r->lines[i].text, prefix, k) == 0)
			return r->lines[i].text;
	return NULL;
}

bool run_has(const struct run *r, const char *section, const char *line)
{
	for (size_t i = 0; i < r->nlines; i++)
		if (strcmp(r->lines[i].section, section) == 0 &&
		    strcmp(r->lines[i].text, line) == 0)
			return true;
	return false;
}

int run_count(const struct run *r, const char *section, const char *key)
{
	int n = 0;

	for (size_t i = 0; i < r->nlines; i++)
		n += value_of(r, i, section, key) != NULL;
	return n;
}

const char *run_list(const struct run *r, const char *section, const char *key)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	const char *v, *sep = "";

	if (f == NULL)
		cr_assert_fail("open_memstream: %s", strerror(errno));
	for (size_t i = 0; i < r->nlines; i++) {
		if ((v = value_of(r, i, section, key)) != NULL) {
			fprintf(f, "%s%s", sep, v);
			sep = ", ";
		}
	}
	if (*sep == '\0')
		fputs("nothing", f);
	fclose(f);
	return list;
}

int run_count_mounts_named(const struct run *r, const char *section,
			   const char *key, const char *const names[])
{
	char target[4096];
	const char *v, *last;
	int n = 0;

	for (size_t i = 0; i < r->nlines; i++) {
		if ((v = value_of(r, i, section, key)) == NULL)
			continue;
		v += strspn(v, "0123456789 ");	/* nsmount's PID */
		if (sscanf(v, "%4095s", target) != 1)
			continue;
		last = strrchr(target, '/');
		last = last != NULL ? last + 1 : target;
		for (int k = 0; names[k] != NULL; k++)
			n += strcmp(last, names[k]) == 0;
	}
	return n;
}

const char *run_task(const struct run *r, const char *comm)
{
	static char pid[32];
	char name[64];

	for (size_t i = 0; i < r->nlines; i++) {
		const char *v = value_of(r, i, "during", "task");

		if (v != NULL && sscanf(v, "%31s %63s", pid, name) == 2 &&
		    strcmp(name, comm) == 0)
			return pid;
	}
	return NULL;
}

const char *run_cgfile(const struct run *r, const char *file)
{
	size_t k = strlen(file);
	const char *v;

	for (size_t i = 0; i < r->nlines; i++) {
		if ((v = value_of(r, i, "during", "cgfile")) == NULL)
			continue;
		v = strchr(v, ' ');	/* past the hierarchy's name */
		if (v != NULL && strncmp(v + 1, file, k) == 0 && v[1 + k] == ' ')
			return v + 2 + k;
	}
	return NULL;
}

bool run_cgroups_unchanged(const struct run *r)
{
	return run_count(r, "before", "cglayout") == 1 &&
	       run_count(r, "after", "cglayout") == 1 &&
	       strcmp(run_list(r, "before", "cgroup"),
		      run_list(r, "after", "cgroup")) == 0;
}
