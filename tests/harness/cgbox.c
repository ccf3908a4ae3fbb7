/*
 * cgbox.c: the sandbox's own cgroup (see cgbox.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgbox.h"

#define PREFIX "workbook-sandbox-"
enum { STALE_S = 120 };	/* a run is over by then, whatever happened */

/* The v1 controllers the sandbox gets a folder of, each in its hierarchy:
 * the three chapter 8 limits, and cpuacct, which counts CPU time on v1. */
static const char *const wanted_v1[] = { "memory", "pids", "cpu", "cpuacct" };

/* The v2 controllers the sandbox's folder is given. */
static const char *const wanted_v2[] = { "memory", "pids", "cpu" };

/* Reads the file at path into buf; returns 0, or -1 with errno set. */
static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Writes text to the file dir/name; returns 0, or -1 with errno set. */
static int write_text(const char *dir, const char *name, const char *text)
{
	char path[2 * PATH_MAX];
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

/* Returns true if the list (words separated by commas, spaces or
 * newlines) holds word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *at = list; (at = strstr(at, word)) != NULL; at += n)
		if ((at == list || strchr(", \n", at[-1]) != NULL) &&
		    (at[n] == '\0' || strchr(", \n", at[n]) != NULL))
			return true;
	return false;
}

/* Returns true if the folder dir of h has the controller name: on v1, its
 * hierarchy's; on v2, in its cgroup.controllers. */
static bool controls(const struct cgbox_hierarchy *h, const char *dir,
		     const char *name)
{
	char path[2 * PATH_MAX], has[512] = "";

	if (!h->v2)
		return has_word(h->opts, name);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	return read_text(path, has, sizeof(has)) == 0 && has_word(has, name);
}

/* Returns the v1 controller of wanted_v1 that the mount options hold, or
 * NULL. */
static const char *wanted_in(const char *opts)
{
	for (size_t i = 0; i < sizeof(wanted_v1) / sizeof(wanted_v1[0]); i++)
		if (has_word(opts, wanted_v1[i]))
			return wanted_v1[i];
	return NULL;
}

/* Sets h->top: the highest folder on our own path in h that we may write
 * to, as /proc/self/cgroup and the mount's root (root) give it.  Returns
 * 0, or -1 if there is none. */
static int find_top(struct cgbox_hierarchy *h, const char *root)
{
	FILE *in = fopen("/proc/self/cgroup", "re");
	char line[4096], own[PATH_MAX] = "", *path;
	size_t k = strcmp(root, "/") == 0 ? 0 : strlen(root);

	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL) {
		char *list = strchr(line, ':'), *end;

		path = list != NULL ? strchr(list + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*list++ = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		/* v1: the line whose first controller the mount has. */
		end = strchr(list, ',');
		if (end != NULL)
			*end = '\0';
		if (h->v2 ? strcmp(line, "0") == 0 :
			    *list != '\0' && has_word(h->opts, list))
			snprintf(own, sizeof(own), "%s", path);
	}
	fclose(in);
	if (*own == '\0' || strncmp(own, root, k) != 0 ||
	    (own[k] != '/' && own[k] != '\0'))
		return -1;
	path = own + k;
	memcpy(h->top, h->mount, sizeof(h->top));
	for (;;) {
		char procs[2 * PATH_MAX];
		size_t len, at = strlen(h->top);

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", h->top);
		if (access(h->top, W_OK) == 0 && access(procs, W_OK) == 0)
			return 0;
		path += strspn(path, "/");
		if (*path == '\0')
			return -1;
		len = strcspn(path, "/");
		snprintf(h->top + at, sizeof(h->top) - at, "/%.*s", (int)len, path);
		path += len;
	}
}

int cgbox_find(struct cgbox *b)
{
	FILE *in = fopen("/proc/self/mountinfo", "re");
	char line[4096], root[PATH_MAX], mount[PATH_MAX], type[32], opts[128];
	char roots[CGBOX_MAX][PATH_MAX];
	const char *env = getenv("WORKBOOK_CGROUP");
	int v1 = 0, v2 = -1;

	memset(b, 0, sizeof(*b));
	if (env != NULL && strcmp(env, "none") == 0) {
		snprintf(b->why, sizeof(b->why), "WORKBOOK_CGROUP=none is set, "
			 "as for a machine that gives the sandbox no cgroup: unset it");
		return -1;
	}
	if (in == NULL) {
		snprintf(b->why, sizeof(b->why), "cannot read /proc/self/mountinfo: %s",
			 strerror(errno));
		return -1;
	}
	/* A later mount on the same folder hides the earlier. */
	while (fgets(line, sizeof(line), in) != NULL) {
		char *dash = strstr(line, " - ");
		int i;

		if (dash == NULL ||
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mount) != 2 ||
		    sscanf(dash, " - %31s %*s %127s", type, opts) != 2 ||
		    (strcmp(type, "cgroup2") != 0 &&
		     (strcmp(type, "cgroup") != 0 || wanted_in(opts) == NULL)))
			continue;
		for (i = 0; i < b->n && strcmp(b->h[i].mount, mount) != 0; i++)
			continue;
		if (i == CGBOX_MAX)
			continue;
		b->n += i == b->n;
		snprintf(b->h[i].mount, sizeof(b->h[i].mount), "%s", mount);
		snprintf(b->h[i].opts, sizeof(b->h[i].opts), "%s", opts);
		snprintf(roots[i], sizeof(roots[i]), "%s", root);
		b->h[i].v2 = strcmp(type, "cgroup2") == 0;
	}
	fclose(in);

	/* Where each goes in the sandbox, and where we may make a folder. */
	for (int i = 0; i < b->n; i++) {
		struct cgbox_hierarchy *h = &b->h[i];
		const char *base = strrchr(h->mount, '/');

		if (h->v2)
			v2 = i;
		else
			v1++;
		snprintf(h->name, sizeof(h->name), "%s",
			 strcmp(h->mount, "/sys/fs/cgroup") == 0 ? "." :
			 base != NULL ? base + 1 : h->mount);
		if (find_top(h, roots[i]) == 0)
			continue;
		if (h->v2 && v1 > 0) {
			/* Hybrid, and the v2 tree, which holds no controller,
			 * is not ours: the sandbox goes without. */
			b->h[i] = b->h[--b->n];
			memcpy(roots[i], roots[b->n], sizeof(roots[i]));
			v2 = -1;
			i--;
			continue;
		}
		snprintf(b->why, sizeof(b->why), "no folder of the cgroup "
			 "hierarchy at %s is ours to write to: %s", h->mount,
			 h->v2 ? "run as root (sudo), or in a cgroup delegated to "
			 "you (systemd-run --user --scope -p Delegate=yes make ...)" :
			 "cgroup v1 gives a plain user none; run as root (sudo), "
			 "or on a machine with cgroup v2, or in the test VM "
			 "(make test-vm)");
		return -1;
	}
	if (v2 == -1 && v1 == 0) {
		snprintf(b->why, sizeof(b->why), "this machine mounts no cgroup "
			 "hierarchy (none in /proc/self/mountinfo)");
		return -1;
	}
	if (v1 > 0 && v1 < 3) {
		snprintf(b->why, sizeof(b->why), "this machine's cgroup v1 "
			 "lacks a memory, pids or cpu hierarchy");
		return -1;
	}
	for (size_t k = 0; v1 == 0 && k < sizeof(wanted_v2) / sizeof(wanted_v2[0]); k++)
		if (!controls(&b->h[v2], b->h[v2].top, wanted_v2[k])) {
			snprintf(b->why, sizeof(b->why), "the cgroup v2 tree at %s "
				 "offers no %s controller in %.200s", b->h[v2].mount,
				 wanted_v2[k], b->h[v2].top);
			return -1;
		}
	b->layout = v1 == 0 ? "v2" : v2 == -1 ? "v1" : "hybrid";
	return 0;
}

/* Kills every process listed in dir/cgroup.procs; returns how many it
 * found. */
static int kill_listed(const char *dir)
{
	char path[2 * PATH_MAX], procs[65536], *save = NULL;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_text(path, procs, sizeof(procs)) == -1)
		return 0;
	for (char *pid = strtok_r(procs, "\n", &save); pid != NULL;
	     pid = strtok_r(NULL, "\n", &save), n++)
		kill((pid_t)atoi(pid), SIGKILL);
	return n;
}

/* nftw(), deepest first: empties a folder and removes it, waiting a second
 * at most for what it holds to end.  Stops the walk at one it cannot
 * remove. */
static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_DP)
		return 0;
	for (int ms = 0; ms < 1000; ms++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		kill_listed(path);
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return -1;
}

/* Removes the folder dir and all below it, killing what they hold (all at
 * once with cgroup.kill where there is one); returns 0, or -1 with errno
 * set. */
static int remove_tree(const char *dir)
{
	write_text(dir, "cgroup.kill", "1");
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the workbook-sandbox-* folders of top that were made more than
 * STALE_S seconds ago (their names start with that time): what a test that
 * was killed before it could clean up left behind. */
static void sweep(const char *top)
{
	DIR *dir = opendir(top);
	struct dirent *d;
	struct timespec now;
	char path[2 * PATH_MAX];

	if (dir == NULL)
		return;
	clock_gettime(CLOCK_BOOTTIME, &now);
	while ((d = readdir(dir)) != NULL) {
		long made;

		if (strncmp(d->d_name, PREFIX, strlen(PREFIX)) != 0 ||
		    sscanf(d->d_name + strlen(PREFIX), "%ld-", &made) != 1 ||
		    now.tv_sec - made < STALE_S)
			continue;
		snprintf(path, sizeof(path), "%s/%s", top, d->d_name);
		remove_tree(path);
	}
	closedir(dir);
}

/* Gives uid and gid the folder dir and the files the kernel lets a
 * delegatee have (/sys/kernel/cgroup/delegate, and "tasks" on v1).
 * Returns 0, or -1 with errno set. */
static int delegate(const char *dir, uid_t uid, gid_t gid)
{
	char list[1024] = "cgroup.procs\ncgroup.threads\ncgroup.subtree_control\n";
	char path[3 * PATH_MAX], *save = NULL;

	read_text("/sys/kernel/cgroup/delegate", list, sizeof(list));
	strncat(list, "tasks\n", sizeof(list) - strlen(list) - 1);
	if (chown(dir, uid, gid) == -1)
		return -1;
	for (char *name = strtok_r(list, "\n", &save); name != NULL;
	     name = strtok_r(NULL, "\n", &save)) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (chown(path, uid, gid) == -1 && errno != ENOENT)
			return -1;
	}
	return 0;
}

/* Turns on, in dir's cgroup.subtree_control, the controllers of wanted_v2
 * that dir has (cgroup.controllers), but lacks, and that are not on yet.
 * Returns 0, or -1 with errno set. */
static int enable(const char *dir, const char *lacks)
{
	char path[2 * PATH_MAX], on[512] = "", has[512] = "", word[32];

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (read_text(path, on, sizeof(on)) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_text(path, has, sizeof(has)) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(wanted_v2) / sizeof(wanted_v2[0]); i++) {
		if (has_word(on, wanted_v2[i]) || !has_word(has, wanted_v2[i]) ||
		    (lacks != NULL && strcmp(lacks, wanted_v2[i]) == 0))
			continue;
		snprintf(word, sizeof(word), "+%s", wanted_v2[i]);
		if (write_text(dir, "cgroup.subtree_control", word) == -1)
			return -1;
	}
	return 0;
}

/* Makes h's workbook-sandbox-ID with its box/ and bwrap/, box/ limited and
 * handed over.  Returns 0, or -1 with b->why set. */
static int make_one(struct cgbox *b, struct cgbox_hierarchy *h, const char *id,
		    const char *lacks, long long memory, long pids, uid_t uid,
		    gid_t gid)
{
	char box[2 * PATH_MAX], bwrap[2 * PATH_MAX], text[32];
	const char *step = "mkdir";

	sweep(h->top);
	snprintf(h->dir, sizeof(h->dir), "%s/%s", h->top, id);
	snprintf(box, sizeof(box), "%s/box", h->dir);
	snprintf(bwrap, sizeof(bwrap), "%s/bwrap", h->dir);
	if (h->v2 && enable(h->top, lacks) == -1) {
		step = "enable the controllers in";
		snprintf(box, sizeof(box), "%s", h->top);
		goto failed;
	}
	if (mkdir(h->dir, 0755) == -1) {
		h->dir[0] = '\0';
		goto failed;
	}
	if ((h->v2 && enable(h->dir, lacks) == -1) || mkdir(box, 0755) == -1 ||
	    mkdir(bwrap, 0755) == -1)
		goto failed;
	snprintf(text, sizeof(text), "%lld", memory);
	if (controls(h, box, "memory")) {
		step = "limit the memory of";
		if (write_text(box, h->v2 ? "memory.max" : "memory.limit_in_bytes",
			       text) == -1)
			goto failed;
		/* Memory in swap is memory too: none (v1 counts them together). */
		if (write_text(box, h->v2 ? "memory.swap.max" :
			       "memory.memsw.limit_in_bytes", h->v2 ? "0" : text) == -1 &&
		    errno != ENOENT)
			goto failed;
	}
	snprintf(text, sizeof(text), "%ld", pids);
	step = "limit the processes of";
	if (controls(h, box, "pids") && write_text(box, "pids.max", text) == -1)
		goto failed;
	step = "hand over";
	if (uid != (uid_t)-1 && delegate(box, uid, gid) == -1)
		goto failed;
	return 0;
failed:
	snprintf(b->why, sizeof(b->why), "could not %s %.400s: %s", step, box,
		 strerror(errno));
	return -1;
}

int cgbox_make(struct cgbox *b, const char *lacks, long long memory, long pids,
	       uid_t uid, gid_t gid)
{
	const char *tag = getenv("WORKBOOK_CGROUP_TAG");
	struct timespec now;
	unsigned int nonce = 0;
	char id[96];

	if (cgbox_find(b) == -1)
		return -1;
	if (tag == NULL || strlen(tag) > 32 ||
	    strspn(tag, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(tag))
		tag = "";
	/* The time first, for sweep(); pids repeat across PID namespaces. */
	clock_gettime(CLOCK_BOOTTIME, &now);
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce ^= (unsigned int)now.tv_nsec;
	snprintf(id, sizeof(id), PREFIX "%ld-%d-%08x%s%s", (long)now.tv_sec,
		 getpid(), nonce, *tag ? "-" : "", tag);
	for (int i = 0; i < b->n; i++) {
		struct cgbox_hierarchy *h = &b->h[i];

		/* Without lacks, as on a machine whose v1 has no such
		 * hierarchy. */
		if (!h->v2 && lacks != NULL && has_word(h->opts, lacks)) {
			b->h[i--] = b->h[--b->n];
			continue;
		}
		if (make_one(b, h, id, lacks, memory, pids, uid, gid) == -1) {
			char why[sizeof(b->why)];

			memcpy(why, b->why, sizeof(why));
			cgbox_remove(b);
			memcpy(b->why, why, sizeof(why));
			b->layout = NULL;
			return -1;
		}
	}
	return 0;
}

/* Writes our pid, or pid, into the folder sub of each hierarchy's
 * workbook-sandbox-ID.  Returns 0, or -1 with errno set. */
static int move(const struct cgbox *b, const char *sub, pid_t pid)
{
	char dir[2 * PATH_MAX], text[32];

	snprintf(text, sizeof(text), "%d", pid);
	for (int i = 0; i < b->n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", b->h[i].dir, sub);
		if (write_text(dir, "cgroup.procs", text) == -1)
			return -1;
	}
	return 0;
}

int cgbox_enter(const struct cgbox *b)
{
	return move(b, "box", 0);
}

int cgbox_release(const struct cgbox *b, pid_t pid)
{
	return move(b, "bwrap", pid);
}

void cgbox_mount_args(const struct cgbox *b, char *buf, size_t size)
{
	size_t at = 0;

	for (int i = 0; i < b->n && at + 1 < size; i++) {
		const struct cgbox_hierarchy *h = &b->h[i];
		char controllers[128] = "";

		/* Only the controllers: the rest of the options are the
		 * machine's ("rw", "nsdelegate", "release_agent=..."). */
		for (size_t k = 0; !h->v2 && k < sizeof(wanted_v1) / sizeof(wanted_v1[0]); k++)
			if (has_word(h->opts, wanted_v1[k]))
				snprintf(controllers + strlen(controllers),
					 sizeof(controllers) - strlen(controllers),
					 "%s%s", *controllers ? "," : "", wanted_v1[k]);
		at += (size_t)snprintf(buf + at, size - at, "--cgroup") + 1;
		if (at < size)
			at += (size_t)snprintf(buf + at, size - at, "%s:%s:%s",
					       h->name, h->v2 ? "cgroup2" : "cgroup",
					       controllers) + 1;
	}
	if (at < size)
		buf[at] = '\0';
	else if (size > 1)
		buf[size - 2] = buf[size - 1] = '\0';
}

int cgbox_remove(struct cgbox *b)
{
	int rc = 0;

	for (int i = 0; i < b->n; i++) {
		if (b->h[i].dir[0] == '\0')
			continue;
		if (remove_tree(b->h[i].dir) == -1) {
			snprintf(b->why, sizeof(b->why), "could not remove %s: %s",
				 b->h[i].dir, strerror(errno));
			rc = -1;
			continue;
		}
		b->h[i].dir[0] = '\0';
	}
	return rc;
}
