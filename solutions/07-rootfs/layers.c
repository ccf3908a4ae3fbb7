/*
 * layers.c: run a command on an image it may write to, without changing it:
 * the image as overlayfs's lower layer, the command's writes in an upper
 * layer of their own.
 *
 *     usage: layers [--root DIR] [--keep LAYER] COMMAND [ARG...]
 *
 * Exercise (7.6 "Exercises", Layers): rootfs.c, whose command writes into
 * the image itself.  Here "/" is an overlay: the image (--root DIR) below,
 * read-only to overlayfs, and above it a fresh upper layer for each run,
 * which takes every write; the image stays byte for byte as it was, and
 * any number of runs can share it at once, each seeing its own writes
 * only.  With --keep LAYER the upper layer is LAYER/upper (overlayfs's work
 * folder LAYER/work), and it outlives the run, the way `docker commit`
 * starts.  Check with `make check CHAPTER=rootfs`.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The image: --root DIR, or the workbook's.  The layers: --keep LAYER, or
 * a fresh folder with a tmpfs on it; merged, the overlay of the two. */
static const char *root, *layer;
static char scratch[] = "/tmp/layers-XXXXXX", merged[PATH_MAX];

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

/* Makes path a folder unless it is one; returns 0, or 1 if it cannot. */
static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return fail("mkdir %s", path);
	return 0;
}

/* Mounts the overlay of the image and the upper layer on layer/merged;
 * returns 0, or 1 if a step failed. */
static int mount_layers(void)
{
	char upper[PATH_MAX], work[PATH_MAX], options[3 * PATH_MAX + 64];

	/* A fresh upper layer is a tmpfs of this mount namespace's: it goes
	 * with the namespace, and no other run sees it. */
	if (layer == scratch &&
	    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") == -1)
		return fail("mount tmpfs on %s", scratch);
	snprintf(upper, sizeof(upper), "%s/upper", layer);
	snprintf(work, sizeof(work), "%s/work", layer);
	snprintf(merged, sizeof(merged), "%s/merged", layer);
	if (make_dir(upper) || make_dir(work) || make_dir(merged))
		return 1;
	/* overlayfs wants its work folder empty and on the upper layer's file
	 * system.  In a user namespace it keeps what it notes about files in
	 * user.* extended attributes: userxattr (Linux 5.11). */
	snprintf(options, sizeof(options),
		 "lowerdir=%s,upperdir=%s,workdir=%s,userxattr", root, upper, work);
	if (mount("overlay", merged, "overlay", 0, options) == -1)
		return fail("mount overlay on %s (%s)", merged, options);
	root = merged;
	return 0;
}

/* Runs in the child: the new root, then the command.  Returns only if a
 * step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");

	/* Without this, a shared "/" would carry every mount below back to
	 * the parent; and pivot_root() refuses a shared mount (EINVAL). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail("mount / MS_REC|MS_PRIVATE");
	if (mount_layers() != 0)
		return 1;

	/* pivot_root() swaps mounts, not folders: make DIR a mount point by
	 * binding it on itself, with whatever is mounted below it. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail("mount --rbind %s", root);
	/* Into the new mount: from here, "dev" is DIR/dev, and "." is DIR. */
	if (chdir(root) == -1)
		return fail("chdir %s", root);
	if (make_dev() != 0)
		return 1;

	/* The image becomes "/".  The old root is put on top of it, on ".",
	 * so it needs no folder of its own in the image: pivot_root(2) allows
	 * the same folder for both. */
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		return fail("pivot_root %s", root);

	/* A proc mounted by a process shows that process's PID namespace.  In
	 * a user namespace the kernel mounts one only where another is in
	 * full view, as the old root's still is: before it goes. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == -1)
		return fail("mount proc on /proc");

	/* Out with the old root, on "." still, and every mount below it.  A
	 * plain unmount refuses a mount with mounts below or files in use (this
	 * program is one): MNT_DETACH takes the tree out at once, and the kernel
	 * frees it when the last file closes.  Private: the parent keeps it. */
	if (umount2(".", MNT_DETACH) == -1)
		return fail("umount2 the old root");

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
		{ "keep", required_argument, NULL, 'k' },
		{ 0 },
	};
	int flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
	static char exe[PATH_MAX], image[PATH_MAX + 32];
	int status, opt;
	ssize_t n;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) == 'r' ||
	       opt == 'k') {
		if (opt == 'r')
			root = optarg;
		else
			layer = optarg;
	}
	if (opt != -1 || optind == argc) {
		fprintf(stderr, "usage: %s [--root DIR] [--keep LAYER] COMMAND "
			"[ARG...]\n", program_invocation_short_name);
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

	/* The kept layer is made if missing; a fresh one is made here, and
	 * removed here once the child is gone. */
	if (layer != NULL && make_dir(layer) != 0)
		return 1;
	if (layer == NULL && (layer = mkdtemp(scratch)) == NULL)
		return fail("mkdtemp %s", scratch);

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
		if (layer == scratch)
			rmdir(scratch);
		return 1;
	}

	if (waitpid(pid, &status, 0) == -1)
		return fail("waitpid %d", pid);
	if (layer == scratch && rmdir(scratch) == -1)
		return fail("rmdir %s", scratch);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
