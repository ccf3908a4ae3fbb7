/*
 * runtime.h: what the files of chapter 11's runtime share.
 *
 * The runtime is in crun's rooms: runtime.c holds the lifecycle (create,
 * start, state, kill, delete, run), linux.c the container's process and
 * its set-up (namespaces, the new root, the terminal), rootfs.c its file
 * system (mounts, devices, masked paths), state.c the state on disk,
 * errors.c the messages; config.c reads config.json, cgroup.c the resource
 * limits and privileges.c the user and the powers the process keeps.  Every function that can fail returns -1 (or NULL) after fail()
 * has said why, and the caller passes it up: only the top reports it.  The
 * C library's headers that most of them use are included here, once.
 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define OCI_VERSION "1.0.2"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* errors.c ---------------------------------------------------------------- */

/* Keeps "STEP: strerror(errno)" as the error to report; returns -1. */
__attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...);

/* Keeps "STEP" alone as the error to report: no call failed; returns -1. */
__attribute__((format(printf, 1, 2))) int fail_msg(const char *fmt, ...);

/* Returns the error kept by the last fail(), "" if none. */
const char *last_error(void);

/* Writes every report from now on to path too (--log), as text or, with
 * json true, as one JSON object a line (--log-format json).  Returns 0 or
 * -1 (fail). */
int errors_log_to(const char *path, bool json);

/* Prints the error kept, "NAME: ERROR", on one line, to stderr and the log. */
void report(void);

/* Prints a message of --debug to stderr and the log, when debug is on. */
__attribute__((format(printf, 1, 2))) void debug(const char *fmt, ...);
extern bool debugging;

/* config.c ---------------------------------------------------------------- */

/* Reads DIR/config.json; refuses a malformed one, an ociVersion other than
 * 1.0.x or 1.1.x, and the fields this runtime does not support.  Returns
 * it, or NULL (fail). */
json_t *config_load(const char *bundle);

/* The value at key of obj: a string (or NULL), an integer (or dflt), a
 * boolean (false if absent), an array or an object (NULL if absent). */
const char *cfg_str(const json_t *obj, const char *key);
long long cfg_int(const json_t *obj, const char *key, long long dflt);
bool cfg_bool(const json_t *obj, const char *key);
json_t *cfg_get(const json_t *obj, const char *key);

/* The namespace of type ("pid", "network"...) that config.json asks for:
 * returns 1 and sets *path (NULL for a new one), or 0 if not listed. */
int config_namespace(const json_t *config, const char *type, const char **path);

/* state.c ----------------------------------------------------------------- */

enum status { CREATED, RUNNING, STOPPED };

/* A container as the state folder keeps it. */
struct container {
	char id[256];
	char dir[3800];		/* ROOT/ID */
	char bundle[4096];
	pid_t pid;
	unsigned long long start_time;	/* /proc/PID/stat's, to tell a reused pid */
	json_t *state;		/* state.json as read */
};

/* Sets the folder every state lives in: --root, or /run/NAME as root,
 * $XDG_RUNTIME_DIR/NAME otherwise. */
void state_root(const char *root);

/* Makes the state folder of id; fails if it exists already (a duplicate
 * id).  Returns 0 or -1. */
int state_make(struct container *c, const char *id);

/* In the container's process: lets go of the lock it inherited, which
 * would otherwise hold every later command at the door. */
void state_drop_lock(void);

/* Writes state.json for c (pid, its start time, bundle, cgroups,
 * annotations), and keeps it in c->state.  Returns 0 or -1. */
int state_save(struct container *c, const json_t *config, json_t *cgroups);

/* Reads the state of id, locked against other commands until exit; returns
 * 0, or -1 for an unknown id. */
int state_load(struct container *c, const char *id);

/* Returns the status of c: created, running, or stopped (its process has
 * ended, or its pid now names another process). */
enum status state_status(const struct container *c);
const char *status_name(enum status s);

/* Prints the state as `state` does: ociVersion, id, status, pid, bundle,
 * annotations. */
void state_print(const struct container *c);

/* Removes the state folder of c; returns 0 or -1. */
int state_remove(struct container *c);

/* linux.c ----------------------------------------------------------------- */

/* What create hands to the container's process. */
struct setup {
	json_t *config;
	const char *rootfs;	/* root.path, from the bundle */
	const char *fifo;	/* the exec fifo that start opens */
	int console_fd;		/* connected to --console-socket, or -1 */
	int sync_fd;		/* the container's end of the sync socket */
	int preserve_fds;	/* --preserve-fds */
	bool die_with_parent;	/* run: the container dies with us */
};

/* Starts the container's process, stopped at the exec fifo once its set-up
 * is done; *pid is its pid.  Returns the sync socket's other end, or -1. */
int container_spawn(struct setup *s, pid_t *pid);

/* In create, once the process has said it is ready: tells it to go on to
 * the fifo for good, no longer dying with us; returns 0 or -1. */
int container_release(int sync_fd);

/* Once its cgroup is made, lets the container's process do its set-up,
 * and waits for it to say it is ready (0), or why not (-1 with its error
 * kept; *code its exit code, 1, 126 or 127). */
int container_set_up(int sync_fd, pid_t pid, int *code);

/* Writes text to the file at path; returns 0, or -1 with errno set, for
 * the caller to say which file it was. */
int write_file(const char *path, const char *text);

/* Reads the first line of the file at path, its newline kept if it fits;
 * returns 0, or -1 if there is none. */
int read_line(const char *path, char *line, size_t size);


/* rootfs.c ---------------------------------------------------------------- */

/* Opens path inside the root rootfd, as the container will see it, making
 * what is missing (folders; the last part an empty file if file); returns
 * the name mount(2) reaches it by, good until the next call, or NULL. */
const char *inside(int rootfd, const char *path, bool file);

/* Makes config.json's mounts in order in the root rootfd, then /dev's
 * devices and links, and linux.devices.  Returns 0 or -1. */
int rootfs_mount(int rootfd, const json_t *config);

/* After the pivot: hides linux.maskedPaths and makes linux.readonlyPaths
 * read-only.  Returns 0 or -1. */
int rootfs_protect(const json_t *lx);

/* The flags a remount of the mount at path must repeat: those that a user
 * namespace may not drop (the kernel locks them). */
unsigned long locked_flags(const char *path);

/* The propagation flag a mount option names (MS_SHARED for "shared"...),
 * or 0 if name is NULL or no propagation. */
unsigned long propagation_named(const char *name);

/* cgroup.c ---------------------------------------------------------------- */

/* Makes the cgroup of linux.cgroupsPath (or ID under NAME when there is
 * none but resources are asked), sets linux.resources, and moves pid into
 * it.  Returns the folders made, a JSON array (empty: no cgroup), or NULL. */
json_t *cgroup_enter(const json_t *config, const char *id, pid_t pid);

/* Sends sig to every process in the cgroup folders; returns 0 or -1. */
int cgroup_kill(const json_t *dirs, int sig);

/* Removes the cgroup folders, once their processes have gone; returns 0
 * or -1. */
int cgroup_remove(const json_t *dirs);

/* Mounts the cgroup file system at dest in the root rootfd (config.json's
 * "cgroup" type): cgroup2 on v2; on v1 a tmpfs holding each hierarchy's
 * folder of this process.  Returns 0 or -1. */
int cgroup_mount(int rootfd, const char *dest, unsigned long flags);

/* privileges.c ------------------------------------------------------------ */

/* Checks process.capabilities' names and linux.seccomp before anything
 * runs; returns 0 or -1. */
int privileges_check(const json_t *config);

/* In the container's process: drops from the bounding set what
 * process.capabilities.bounding lacks, becomes process.user, and sets the
 * effective, permitted, inheritable and ambient sets.  Returns 0 or -1. */
int privileges_drop(const json_t *process);

/* Loads linux.seccomp's filter (libseccomp); returns 0 or -1. */
int seccomp_apply(const json_t *seccomp);

#endif
