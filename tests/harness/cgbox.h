/*
 * cgbox.h: the sandbox's own cgroup, made and removed from outside it: by
 * the test process (sandbox.c) and by the cgbox tool (book/sandbox.sh).
 *
 * In each hierarchy it uses (the v2 tree; on v1 those of memory, pids, cpu
 * and cpuacct) it makes workbook-sandbox-ID in the highest folder of the
 * caller's own path that the caller may write to (the root's, for root),
 * and two folders in that:
 *
 *   box/    the sandbox: its limits (memory, no swap, processes), handed
 *           over to the sandbox's uid the way cgroup v2 delegation does (the
 *           folder and the files the kernel lists in
 *           /sys/kernel/cgroup/delegate change owner; the limits do not);
 *           bubblewrap is started in it, so that it is the root of the
 *           sandbox's cgroup namespace
 *   bwrap/  where bubblewrap's own process goes once it has made the
 *           sandbox: on v2 a folder that holds a process may not share out
 *           controllers, and box/ must hold none of its own
 *
 * Inside, the observer mounts each hierarchy under /sys/fs/cgroup, as this
 * machine has them there, and keeps to leaves (observer.c).  Everything
 * made is named workbook-sandbox-TIME-PID-NONCE[-TAG], so that a leftover
 * is found by name (TAG: $WORKBOOK_CGROUP_TAG, lower-case letters, digits
 * and '-', for a script that looks for its own); one older than a run can
 * be is removed by the next cgbox_make().
 * WORKBOOK_CGROUP=none in the environment makes cgbox_make() find no
 * cgroup, as on a machine that gives none: to try what happens there.
 */
#ifndef CGBOX_H
#define CGBOX_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define CGBOX_MAX 8

struct cgbox {
	int n;			/* the hierarchies used */
	struct cgbox_hierarchy {
		char mount[PATH_MAX];	/* where this machine mounts it */
		char name[64];		/* where the sandbox mounts it, under
					 * /sys/fs/cgroup: "memory", "unified",
					 * "." for a v2 tree there */
		char opts[128];		/* v1: its controllers ("cpu,cpuacct") */
		bool v2;
		char top[PATH_MAX];	/* where workbook-sandbox-ID goes */
		char dir[PATH_MAX + 128];	/* workbook-sandbox-ID, once made */
	} h[CGBOX_MAX];
	const char *layout;	/* "v2", "hybrid" or "v1"; NULL: none */
	char why[512];		/* when there is none: why, and the fix */
};

/* Finds this machine's hierarchies and where the caller may make cgroups
 * in them, making nothing.  Returns 0 with b->layout set, or -1 with b->why
 * saying why the sandbox can have no cgroup here and how to change that. */
int cgbox_find(struct cgbox *b);

/* Finds (cgbox_find) and makes the sandbox's cgroup, without the
 * controller lacks if not NULL (as on a machine without it), its limits
 * memory bytes and pids processes, box/ handed to uid and gid (-1: kept as
 * they are).  Returns 0, or -1 with b->why set and nothing left behind. */
int cgbox_make(struct cgbox *b, const char *lacks, long long memory, long pids,
	       uid_t uid, gid_t gid);

/* Puts the calling process into box/ of every hierarchy: in the process
 * that becomes bubblewrap, before it drops privileges.  Returns 0, or -1
 * with errno set. */
int cgbox_enter(const struct cgbox *b);

/* Moves the process pid (bubblewrap's own, once it has made the sandbox)
 * into bwrap/ of every hierarchy.  Returns 0, or -1 with errno set. */
int cgbox_release(const struct cgbox *b, pid_t pid);

/* Writes into buf the observer's options for the hierarchies, "--cgroup
 * NAME:TYPE:OPTIONS" each, as NUL-separated words ending in an empty one. */
void cgbox_mount_args(const struct cgbox *b, char *buf, size_t size);

/* Kills whatever is still in the sandbox's cgroup and removes every
 * folder of it, the sandbox's own included.  Returns 0, or -1 if a folder
 * could not be removed (the reason in b->why). */
int cgbox_remove(struct cgbox *b);

#endif
