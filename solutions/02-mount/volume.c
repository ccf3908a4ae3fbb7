/*
 * volume.c: run a command with a folder of its parent's, read-only.
 *
 *     usage: volume [-v SOURCE:TARGET] COMMAND [ARG...]
 *
 * What `docker run -v SOURCE:TARGET:ro` does: in a new mount namespace, the
 * folder SOURCE is bind-mounted on TARGET (made if missing), read-only.
 * The command can read it and cannot change it, while SOURCE stays as
 * writable as it was for everyone else.
 *
 * The trap: mount(2) ignores MS_RDONLY when it creates a bind mount, so
 * read-only takes a second call, a remount of that one mount (MS_BIND).
 * Without MS_BIND the remount would apply to the whole file system SOURCE
 * lives on, in every namespace.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The volume, from -v SOURCE:TARGET; NULL when there is none. */
static char *source, *target;

/* Binds source on target, read-only; returns 0, or -1 with a message. */
static int bind_read_only(void)
{
	struct statvfs st;
	unsigned long keep = 0;

	if (mkdir(target, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "%s: mkdir %s: %s\n",
			program_invocation_short_name, target, strerror(errno));
		return -1;
	}
	if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) == -1) {
		fprintf(stderr, "%s: mount --rbind %s %s: %s\n",
			program_invocation_short_name, source, target,
			strerror(errno));
		return -1;
	}
	/* A remount replaces every flag, and in a user namespace the kernel
	 * refuses to drop nosuid, nodev or noexec that came from outside:
	 * keep those the mount already has. */
	if (statvfs(target, &st) == -1) {
		fprintf(stderr, "%s: statvfs %s: %s\n",
			program_invocation_short_name, target, strerror(errno));
		return -1;
	}
	keep |= st.f_flag & ST_NOSUID ? MS_NOSUID : 0;
	keep |= st.f_flag & ST_NODEV ? MS_NODEV : 0;
	keep |= st.f_flag & ST_NOEXEC ? MS_NOEXEC : 0;
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep,
		  NULL) == -1) {
		fprintf(stderr, "%s: remount %s MS_BIND|MS_RDONLY: %s\n",
			program_invocation_short_name, target, strerror(errno));
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
