/*
 * no_way_out.c: run a command in an image it cannot climb out of.
 *
 *     usage: no_way_out [--root DIR] COMMAND [ARG...]
 *
 * Exercise (7.6 "Exercises", No way out): this program changed its root
 * with chroot(2), and a command that may call chroot() itself walks out of
 * that with chdir(".."), back to the machine's files.  Here the root is
 * changed with pivot_root(2), the classic way, with a folder for the old
 * root in the new one, and the old root is detached and its folder removed:
 * nothing is above the image, and the image is left as it was found.  Check
 * with `make check CHAPTER=rootfs`.
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The new root: --root DIR, or the workbook's image. */
static const char *root;

/* The devices every program may expect, bound from the host's /dev. */
static const char *const devices[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

/* The links every /dev has, into the process's own descriptors. */
static const char *const links[][2] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* Prints "rootfs: STEP: REASON", the reason from errno, for a step that
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

/* In the new root, not yet pivoted into: a tmpfs on dev/ holding the host's
 * device nodes and the usual links.  Returns 0, or 1 if a step failed. */
static int make_dev(void)
{
	char host[32], here[32];
	int fd;

	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		  "mode=755,size=64k") == -1)
		return fail("mount tmpfs on %s/dev", root);
	/* A user namespace may not mknod(2) a device: bind the host's node
	 * on an empty file instead.  "/dev/null" is still the host's;
	 * "dev/null", from where we are, is the image's. */
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		snprintf(host, sizeof(host), "/dev/%s", devices[i]);
		snprintf(here, sizeof(here), "dev/%s", devices[i]);
		fd = open(here, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd == -1 || close(fd) == -1)
			return fail("create %s/%s", root, here);
		if (mount(host, here, NULL, MS_BIND, NULL) == -1)
			return fail("mount --bind %s on %s/%s", host, root, here);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(here, sizeof(here), "dev/%s", links[i][0]);
		if (symlink(links[i][1], here) == -1)
			return fail("symlink %s/%s", root, here);
	}
	return 0;
}

/* Runs in the child: the new root, then the command.  Returns only if a
 * step failed.  put_old is the old root's folder: put_old + 1 in the image
 * before the pivot, put_old after. */
static int child_main(void *arg)
{
	char **argv = arg, put_old[] = "/.old-root-XXXXXX";
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");

	/* Without this, a shared "/" would carry every mount below back to
	 * the parent; and pivot_root() refuses a shared mount (EINVAL). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail("mount / MS_REC|MS_PRIVATE");

	/* pivot_root() swaps mounts, not folders: make DIR a mount point by
	 * binding it on itself, with whatever is mounted below it. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail("mount --rbind %s", root);
	/* Into the new mount: from here, "dev" is DIR/dev, and "." is DIR. */
	if (chdir(root) == -1)
		return fail("chdir %s", root);
	if (make_dev() != 0)
		return 1;

	/* pivot_root(2) puts the old root in a folder of the new one: a new
	 * folder, named for this run, since another run of the same image
	 * could remove a folder of a fixed name while it is ours. */
	if (mkdtemp(put_old + 1) == NULL)
		return fail("mkdtemp %s/%s", root, put_old + 1);
	/* The image becomes "/", and the old root /.old-root-XXXXXX in it. */
	if (syscall(SYS_pivot_root, ".", put_old + 1) == -1)
		return fail("pivot_root %s %s", root, put_old + 1);

	/* A proc mounted by a process shows that process's PID namespace.  In
	 * a user namespace the kernel mounts one only where another is in
	 * full view, as the old root's still is: before it goes. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1)
		return fail("mount proc on /proc");

	/* Out with the old root and every mount below it.  A plain unmount
	 * refuses a mount with mounts below or files in use (this program is
	 * one): MNT_DETACH takes the tree out at once, and the kernel frees it
	 * when the last file closes.  Private: the parent keeps it.  Then its
	 * folder, which is the image's. */
	if (umount2(put_old, MNT_DETACH) == -1)
		return fail("umount2 %s", put_old);
	if (rmdir(put_old) == -1)
		return fail("rmdir %s", put_old);

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, 'r' },
		{ 0 },
	};
	int flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
	static char exe[PATH_MAX], image[PATH_MAX + 32];
	int status, opt;
	ssize_t n;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) == 'r')
		root = optarg;
	if (opt != -1 || optind == argc) {
		fprintf(stderr, "usage: %s [--root DIR] COMMAND [ARG...]\n",
			program_invocation_short_name);
		return 2;
	}

	/* The workbook's image is beside this program: bin/../image/busybox. */
	if (root == NULL) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n == -1)
			return fail("readlink /proc/self/exe");
		exe[n] = '\0';
		snprintf(image, sizeof(image), "%s/../image/busybox", dirname(exe));
		root = image;
	}

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
		return 1;
	}

	if (waitpid(pid, &status, 0) == -1)
		return fail("waitpid %d", pid);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
