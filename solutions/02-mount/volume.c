/*
 * volume.c: run a command with a folder of its parent's, read-only.
 *
 *     usage: volume [-v SOURCE:TARGET] COMMAND [ARG...]
 *
 * What `docker run -v SOURCE:TARGET:ro` does: in a new mount namespace, the
 * folder SOURCE is bind-mounted on TARGET (made if missing), read-only,
 * with every mount under it.  The command can read it and cannot change
 * it, while SOURCE stays as writable as it was for everyone else.
 *
 * The traps: mount(2) ignores MS_RDONLY when it creates a bind mount, so
 * read-only takes a second call; a remount (MS_REMOUNT | MS_BIND) changes
 * that one mount and leaves the mounts under it writable, and without
 * MS_BIND it changes the whole file system SOURCE lives on, in every
 * namespace.  mount_setattr(2) changes the flags of a whole tree at once.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The volume, from -v SOURCE:TARGET; NULL when there is none. */
static char *source, *target;

/* Binds source on target, read-only with every mount under it; returns 0,
 * or -1 with a message. */
static int bind_read_only(void)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (mkdir(target, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "%s: mkdir %s: %s\n",
			program_invocation_short_name, target, strerror(errno));
		return -1;
	}
	/* MS_REC: the mounts under source come too.  MS_RDONLY would be
	 * ignored here: a new bind mount takes no flags. */
	if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) == -1) {
		fprintf(stderr, "%s: mount --rbind %s %s: %s\n",
			program_invocation_short_name, source, target,
			strerror(errno));
		return -1;
	}
	/* A remount (MS_REMOUNT | MS_BIND | MS_RDONLY) would change the one
	 * mount on target and leave those under it writable.  Linux 5.12's
	 * mount_setattr() changes the whole tree, and only the flags named:
	 * nosuid or nodev that the mounts had stay as they were. */
	if (mount_setattr(AT_FDCWD, target, AT_RECURSIVE, &attr,
			  sizeof(attr)) == -1) {
		fprintf(stderr, "%s: mount_setattr %s MOUNT_ATTR_RDONLY "
			"AT_RECURSIVE: %s%s\n", program_invocation_short_name,
			target, strerror(errno), errno == ENOSYS ?
			" (Linux 5.12 or later has it)" : "");
		return -1;
	}
	return 0;
}

/* Runs in the child: a private tree, the volume, then the command.
 * Returns only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	/* Without this, a shared "/" would carry the volume to the parent. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		fprintf(stderr, "%s: mount / MS_REC|MS_PRIVATE: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}
	if (source != NULL && bind_read_only() == -1)
		return 1;

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Prints the usage line; returns 2, the status of a usage error. */
static int usage(void)
{
	fprintf(stderr, "usage: %s [-v SOURCE:TARGET] COMMAND [ARG...]\n",
		program_invocation_short_name);
	return 2;
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWNS | SIGCHLD;
	int status, opt;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt(argc, argv, "+v:")) != -1) {
		if (opt != 'v')
			return usage();
		source = optarg;
		target = strchr(optarg, ':');
		if (target == NULL || target == source || target[1] != '/') {
			fprintf(stderr, "%s: -v %s: expected SOURCE:/TARGET\n",
				program_invocation_short_name, optarg);
			return 2;
		}
		*target++ = '\0';
	}
	if (optind == argc)
		return usage();

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
		return 1;
	}

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
