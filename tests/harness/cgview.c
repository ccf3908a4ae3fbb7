/*
 * cgview.c: the observer's side of the sandbox's cgroup (see cgview.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgview.h"
#include "die.h"

#define ROOT "/sys/fs/cgroup"

static struct {
	char name[64];		/* under ROOT; "." for ROOT itself */
	char type[16];		/* cgroup2 or cgroup */
	char opts[128];		/* v1: the controllers */
	char path[PATH_MAX];	/* where it is mounted here */
} hier[8];
static int nhier;

/* The files of a probe's cgroup worth a line, v2's and v1's. */
static const char *const files[] = {
	"memory.max", "memory.swap.max", "memory.current", "memory.peak",
	"memory.events", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
	"memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt",
	"memory.oom_control", "pids.max", "pids.current", "pids.peak",
	"pids.events", "cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us",
	"cpu.stat", "cpuacct.usage",
};

int cgview_add(const char *spec)
{
	char name[64], type[16], opts[128] = "";

	if (nhier == 8 ||
	    sscanf(spec, "%63[^:]:%15[^:]:%127s", name, type, opts) < 2)
		return -1;
	snprintf(hier[nhier].name, sizeof(hier[nhier].name), "%s", name);
	snprintf(hier[nhier].type, sizeof(hier[nhier].type), "%s", type);
	snprintf(hier[nhier].opts, sizeof(hier[nhier].opts), "%s", opts);
	snprintf(hier[nhier].path, sizeof(hier[nhier].path), "%s%s%s", ROOT,
		 strcmp(name, ".") == 0 ? "" : "/",
		 strcmp(name, ".") == 0 ? "" : name);
	nhier++;
	return 0;
}

bool cgview_on(void)
{
	return nhier > 0;
}

/* Reads the file dir/name into buf, its newlines made ", " and the last
 * one dropped; returns 0, or -1. */
static int read_value(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX + 64], raw[4096];
	size_t at = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, raw, sizeof(raw) - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && raw[n - 1] == '\n')
		n--;
	raw[n] = '\0';
	for (ssize_t i = 0; i < n && at + 3 < size; i++) {
		if (raw[i] == '\n') {
			buf[at++] = ',';
			buf[at++] = ' ';
		} else {
			buf[at++] = raw[i];
		}
	}
	buf[at] = '\0';
	return 0;
}

/* Returns the number after "KEY " in the file dir/name, or -1. */
static long long keyed(const char *dir, const char *name, const char *key)
{
	char buf[4096], *save = NULL;
	size_t k = strlen(key);

	if (read_value(dir, name, buf, sizeof(buf)) == -1)
		return -1;
	for (char *item = strtok_r(buf, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " ");
		if (strncmp(item, key, k) == 0 && item[k] == ' ')
			return atoll(item + k + 1);
	}
	return -1;
}

/* Returns true if the comma-separated list holds word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *at = list; (at = strstr(at, word)) != NULL; at += n)
		if ((at == list || at[-1] == ',') && (at[n] == '\0' || at[n] == ','))
			return true;
	return false;
}

/* Writes "0", the caller, into dir/cgroup.procs; dies on failure. */
static void move_self(const char *dir)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, "0", 1) != 1 || close(fd) == -1)
		die("write `%s`", path);
}

void cgview_setup(void)
{
	static const char *const leaves[] = { "observer", "program" };
	char path[PATH_MAX + 16];
	bool v1 = false;

	for (int i = 0; i < nhier; i++)
		v1 |= strcmp(hier[i].name, ".") != 0;
	if ((mkdir("/sys", 0755) == -1 && errno != EEXIST) ||
	    (mkdir("/sys/fs", 0755) == -1 && errno != EEXIST) ||
	    (mkdir(ROOT, 0755) == -1 && errno != EEXIST))
		die("mkdir " ROOT);
	/* As systemd lays out v1 and hybrid: a tmpfs, a folder per hierarchy. */
	if (v1 && mount("tmpfs", ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			"mode=755,size=64k") == -1)
		die("mount tmpfs on " ROOT);
	for (int i = 0; i < nhier; i++) {
		if (strcmp(hier[i].name, ".") != 0 && mkdir(hier[i].path, 0755) == -1)
			die("mkdir %s", hier[i].path);
		/* In our cgroup namespace, its root is the sandbox's cgroup. */
		if (mount("cgroup", hier[i].path, hier[i].type,
			  MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  *hier[i].opts ? hier[i].opts : NULL) == -1)
			die("mount %s %s on %s", hier[i].type, hier[i].opts,
			    hier[i].path);
		for (size_t k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "%s/%s", hier[i].path, leaves[k]);
			if (mkdir(path, 0755) == -1)
				die("mkdir %s", path);
		}
		snprintf(path, sizeof(path), "%s/observer", hier[i].path);
		move_self(path);
	}
}

void cgview_enter_program(void)
{
	char path[PATH_MAX + 16];

	for (int i = 0; i < nhier; i++) {
		snprintf(path, sizeof(path), "%s/program", hier[i].path);
		move_self(path);
	}
}

/* Prints "cgroup NAME:/REL" for each folder below dir (rel: its path from
 * the hierarchy's root), sorted, depth first. */
static void print_tree(FILE *out, const char *name, const char *dir,
		       const char *rel)
{
	struct dirent **entries;
	char path[PATH_MAX], sub[PATH_MAX];
	int n = scandir(dir, &entries, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
		if (entries[i]->d_name[0] != '.' && lstat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			snprintf(sub, sizeof(sub), "%s/%s", rel, entries[i]->d_name);
			fprintf(out, "cgroup %s:%s\n", name, sub);
			print_tree(out, name, path, sub);
		}
		free(entries[i]);
	}
	if (n >= 0)
		free(entries);
}

void cgview_report_tree(FILE *out)
{
	bool v1 = false, v2 = false;

	if (nhier == 0)
		return;
	for (int i = 0; i < nhier; i++) {
		v2 |= strcmp(hier[i].type, "cgroup2") == 0;
		v1 |= strcmp(hier[i].type, "cgroup") == 0;
	}
	fprintf(out, "cglayout %s\n", v1 && v2 ? "hybrid" : v1 ? "v1" : "v2");
	for (int i = 0; i < nhier; i++)
		print_tree(out, hier[i].name, hier[i].path, "");
}

/* Finds the folder of pid in each hierarchy, from /proc/PID/cgroup (paths
 * from our cgroup namespace's root, which is each mount's), into dirs;
 * returns how many it found. */
static int probe_dirs(pid_t pid, char dirs[][PATH_MAX])
{
	char path[64], line[4096];
	FILE *in;
	int found = 0;

	for (int i = 0; i < nhier; i++)
		dirs[i][0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	in = fopen(path, "re");
	if (in == NULL)
		return 0;
	while (fgets(line, sizeof(line), in) != NULL) {
		char *list = strchr(line, ':'), *rel, *comma;

		rel = list != NULL ? strchr(list + 1, ':') : NULL;
		if (rel == NULL)
			continue;
		*list++ = '\0';
		*rel++ = '\0';
		rel[strcspn(rel, "\n")] = '\0';
		if ((comma = strchr(list, ',')) != NULL)
			*comma = '\0';
		for (int i = 0; i < nhier; i++) {
			bool v2 = strcmp(hier[i].type, "cgroup2") == 0;

			if (v2 ? strcmp(line, "0") != 0 :
				 *list == '\0' || !has_word(hier[i].opts, list))
				continue;
			snprintf(dirs[i], PATH_MAX, "%s%s", hier[i].path,
				 strcmp(rel, "/") == 0 ? "" : rel);
			found++;
		}
	}
	fclose(in);
	return found;
}

void cgview_report_probe(FILE *out, pid_t pid, bool fork_check)
{
	char dirs[8][PATH_MAX], value[4096];

	if (nhier == 0 || probe_dirs(pid, dirs) == 0)
		return;
	for (int i = 0; i < nhier; i++) {
		if (dirs[i][0] == '\0')
			continue;
		fprintf(out, "probecg %s %s\n", hier[i].name,
			dirs[i] + strlen(hier[i].path));
		for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
			if (read_value(dirs[i], files[k], value, sizeof(value)) == 0)
				fprintf(out, "cgfile %s %s %s\n", hier[i].name,
					files[k], value);
	}
	if (fork_check) {
		pid_t child;
		int status;

		fflush(out);
		child = fork();
		if (child == 0)
			_exit(0);
		if (child == -1 || waitpid(child, &status, 0) == -1)
			fprintf(out, "outside fork failed: %s\n", strerror(errno));
		else
			fprintf(out, "outside fork done\n");
	}
}

/* Returns microseconds on the monotonic clock. */
static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Reads the CPU time used and the time held back, in microseconds, from
 * the folders usage and cpu; returns 0, or -1. */
static int cpu_sample(const char *usage, const char *cpu, long long *used,
		      long long *held)
{
	char text[64];
	long long t;

	if (read_value(usage, "cpuacct.usage", text, sizeof(text)) == 0)
		*used = atoll(text) / 1000;
	else if ((*used = keyed(usage, "cpu.stat", "usage_usec")) == -1)
		return -1;
	if ((t = keyed(cpu, "cpu.stat", "throttled_usec")) != -1)
		*held = t;
	else if ((t = keyed(cpu, "cpu.stat", "throttled_time")) != -1)
		*held = t / 1000;
	else
		return -1;
	return 0;
}

void cgview_cpu_window(FILE *out, pid_t pid, long ms)
{
	char dirs[8][PATH_MAX], text[128];
	const char *usage = NULL, *cpu = NULL;
	long long t0, t1, u0, u1, h0, h1;

	probe_dirs(pid, dirs);
	/* The use from cpuacct on v1, where it is a controller of its own;
	 * else from the v2 tree.  The time held back from the cpu
	 * controller's folder. */
	for (int i = 0; i < nhier; i++) {
		bool v2 = strcmp(hier[i].type, "cgroup2") == 0;

		if (dirs[i][0] == '\0')
			continue;
		if (has_word(hier[i].opts, "cpuacct") || (v2 && usage == NULL))
			usage = dirs[i];
		if ((!v2 && has_word(hier[i].opts, "cpu")) ||
		    (v2 && read_value(dirs[i], "cpu.max", text, sizeof(text)) == 0))
			cpu = dirs[i];
	}
	t0 = now_us();
	if (usage == NULL || cpu == NULL || cpu_sample(usage, cpu, &u0, &h0) == -1) {
		fprintf(out, "cpuwindow unreadable: the probe has no %s\n",
			usage == NULL ? "folder that counts its CPU time" :
			"cpu controller");
		return;
	}
	nanosleep(&(struct timespec){ ms / 1000, ms % 1000 * 1000000 }, NULL);
	t1 = now_us();
	if (cpu_sample(usage, cpu, &u1, &h1) == -1) {
		fprintf(out, "cpuwindow unreadable: its cgroup went away\n");
		return;
	}
	fprintf(out, "cpuwindow %lld usage %lld throttled %lld\n", t1 - t0,
		u1 - u0, h1 - h0);
	if (read_value(cpu, "cpu.max", text, sizeof(text)) == 0) {
		fprintf(out, "cpuquota %s\n", text);
	} else {
		char period[32];

		if (read_value(cpu, "cpu.cfs_quota_us", text, sizeof(text)) == 0 &&
		    read_value(cpu, "cpu.cfs_period_us", period, sizeof(period)) == 0)
			fprintf(out, "cpuquota %s %s\n", text, period);
	}
}

bool cgview_box_memory_reached(FILE *out)
{
	char limit[64];
	bool reached = false, any = false;

	for (int i = 0; i < nhier; i++) {
		const char *dir = hier[i].path;

		if (read_value(dir, "memory.max", limit, sizeof(limit)) == 0) {
			/* .local: this cgroup's own limit, not its children's. */
			reached |= keyed(dir, "memory.events.local", "max") > 0 ||
				   keyed(dir, "memory.events.local", "oom") > 0;
			any = true;
		} else if (read_value(dir, "memory.limit_in_bytes", limit,
				      sizeof(limit)) == 0) {
			char peak[32];

			/* The highest use seen is the limit: reached.  (Memory
			 * and swap are charged together first, in memsw.) */
			reached |= (read_value(dir, "memory.max_usage_in_bytes", peak,
					       sizeof(peak)) == 0 &&
				    atoll(peak) >= atoll(limit)) ||
				   (read_value(dir, "memory.memsw.max_usage_in_bytes",
					       peak, sizeof(peak)) == 0 &&
				    atoll(peak) >= atoll(limit));
			any = true;
		}
		if (any) {
			fprintf(out, "boxmemory %s %s\n", limit,
				reached ? "reached" : "within");
			break;
		}
	}
	return reached;
}
