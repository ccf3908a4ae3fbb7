/*
 * state.c: a container's state on disk (chapter 11).
 *
 * Each command of the runtime is a separate process: create makes the
 * container and exits, and start, state, kill and delete come later, from
 * podman or its cleanup process, without the flags create had.  What they
 * know of the container is a folder, ROOT/ID, holding state.json (the pid,
 * its start time, the bundle, the cgroups) and, until start, the exec fifo.
 * The status is not written down: it is read from the process itself
 * (chapter 5's /proc) each time, so that it cannot go stale.
 */
#define _GNU_SOURCE
#include <sys/file.h>

#include "runtime.h"

static char root_dir[3500];
static int lock_fd = -1;	/* the state folder's, while we hold its lock */

void state_root(const char *root)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (root != NULL)
		snprintf(root_dir, sizeof(root_dir), "%s", root);
	else if (geteuid() == 0 || xdg == NULL || *xdg == '\0')
		snprintf(root_dir, sizeof(root_dir), "/run/%s",
			 program_invocation_short_name);
	else
		snprintf(root_dir, sizeof(root_dir), "%s/%s", xdg,
			 program_invocation_short_name);
}

/* Fills c->dir for id, refusing an id that is no plain file name. */
static int name_dir(struct container *c, const char *id)
{
	if (*id == '\0' || strchr(id, '/') != NULL || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0 || strlen(id) >= sizeof(c->id))
		return fail_msg("container id `%s` is not a valid name", id);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", root_dir, id);
	return 0;
}

/* Takes the lock of the state folder, held until this command exits, so
 * that two commands on one container take turns. */
static int lock(struct container *c)
{
	lock_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd == -1 || flock(lock_fd, LOCK_EX) == -1)
		return fail("lock `%s`", c->dir);
	return 0;	/* the descriptor stays open: the lock with it */
}

void state_drop_lock(void)
{
	if (lock_fd != -1)
		close(lock_fd);
	lock_fd = -1;
}

int state_make(struct container *c, const char *id)
{
	memset(c, 0, sizeof(*c));
	if (name_dir(c, id) == -1)
		return -1;
	if (mkdir(root_dir, 0700) == -1 && errno != EEXIST)
		return fail("mkdir `%s`", root_dir);
	/* mkdir() is the test and the claim at once: of two creates of one
	 * id, exactly one makes the folder. */
	if (mkdir(c->dir, 0700) == -1)
		return errno == EEXIST ? fail_msg("container %s exists already", id)
				       : fail("mkdir `%s`", c->dir);
	return lock(c);
}

/* Returns /proc/PID/stat's start time of pid, or 0 if it has none. */
static unsigned long long process_start_time(pid_t pid)
{
	char path[64], line[1024], *end;
	unsigned long long start = 0;
	char state;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	/* The command name may hold spaces and ")": the fields start after
	 * the last ")".  State is field 3, the start time field 22. */
	if (read_line(path, line, sizeof(line)) == 0 &&
	    (end = strrchr(line, ')')) != NULL &&
	    sscanf(end + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %*s %*s %*s %*s %llu", &state, &start) == 2 &&
	    (state == 'Z' || state == 'X'))
		start = 0;	/* it has ended: only its parent's wait is left */
	return start;
}

int state_save(struct container *c, const json_t *config, json_t *cgroups)
{
	char path[4200], tmp[4200], when[64];
	time_t now = time(NULL);
	json_t *state;
	int rc;

	c->start_time = process_start_time(c->pid);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	state = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:O, s:O}",
			  "ociVersion", OCI_VERSION, "id", c->id, "pid", (int)c->pid,
			  "starttime", (json_int_t)c->start_time, "bundle", c->bundle,
			  "created", when, "cgroups", cgroups, "annotations",
			  cfg_get(config, "annotations") ? cfg_get(config, "annotations")
							 : json_object());
	if (state == NULL)
		return fail_msg("state of %s: out of memory", c->id);
	/* Whole or not at all: a reader never sees half a file. */
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", c->dir);
	rc = json_dump_file(state, tmp, JSON_COMPACT);
	c->state = state;	/* as state_load() would read it */
	if (rc == -1 || rename(tmp, path) == -1)
		return fail("write `%s`", path);
	return 0;
}

int state_load(struct container *c, const char *id)
{
	char path[4200];
	json_error_t err;

	memset(c, 0, sizeof(*c));
	if (name_dir(c, id) == -1)
		return -1;
	if (access(c->dir, F_OK) == -1)
		return fail_msg("container %s does not exist", id);
	if (lock(c) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", c->dir);
	c->state = json_load_file(path, 0, &err);
	if (c->state == NULL)
		return fail_msg("container %s does not exist: it was never "
				"created whole (no `%s`)", id, path);
	c->pid = (pid_t)cfg_int(c->state, "pid", 0);
	c->start_time = (unsigned long long)cfg_int(c->state, "starttime", 0);
	snprintf(c->bundle, sizeof(c->bundle), "%s",
		 cfg_str(c->state, "bundle") ? cfg_str(c->state, "bundle") : "");
	return 0;
}

enum status state_status(const struct container *c)
{
	char fifo[4200];

	/* A pid is reused once its process is gone: the same pid with another
	 * start time is another process, and ours has stopped. */
	if (c->pid <= 0 || process_start_time(c->pid) != c->start_time)
		return STOPPED;
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", c->dir);
	return access(fifo, F_OK) == 0 ? CREATED : RUNNING;
}

const char *status_name(enum status s)
{
	static const char *const names[] = { "created", "running", "stopped" };

	return names[s];
}

void state_print(const struct container *c)
{
	enum status s = state_status(c);
	json_t *out = json_pack("{s:s, s:s, s:s, s:i, s:s, s:O}",
				"ociVersion", OCI_VERSION, "id", c->id,
				"status", status_name(s),
				"pid", s == STOPPED ? 0 : (int)c->pid,
				"bundle", c->bundle, "annotations",
				cfg_get(c->state, "annotations") ?
				cfg_get(c->state, "annotations") : json_object());
	char *text = out != NULL ? json_dumps(out, JSON_INDENT(2)) : NULL;

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(out);
}

int state_remove(struct container *c)
{
	static const char *const files[] = { "state.json", "state.json.tmp",
					     "exec.fifo" };
	char path[4200];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->dir, files[i]);
		if (unlink(path) == -1 && errno != ENOENT)
			return fail("remove `%s`", path);
	}
	if (rmdir(c->dir) == -1 && errno != ENOENT)
		return fail("remove `%s`", c->dir);
	return 0;
}
