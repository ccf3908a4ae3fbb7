/*
 * no_admin.c: run a command in an image as root that may neither mount nor
 * name its host.
 *
 *     usage: no_admin [--root DIR] COMMAND [ARG...]
 *
 * Exercise (10.6 "Exercises", Root that cannot mount): the chapter's
 * program without its last three steps, so that root inside holds every
 * capability over the namespaces it lives in: it may mount a tmpfs or set
 * its host name.  Here, once the root is made, CAP_SYS_ADMIN goes from
 * every capability set (libcap), the bounding set included, and nothing
 * else does: mount(2) and sethostname(2) fail with EPERM, while every
 * other capability stays.  Check with `make check CHAPTER=privileges`.
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
#include <sys/capability.h>
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

/* The pipe on which the parent sends one byte once the maps are written. */
static int ready[2] = { -1, -1 };

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

/* Prints "no_admin: STEP: REASON", the reason from errno, for a step
 * that failed; returns 1, the status of a failed step. */
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

/* Writes text to /proc/PID/file in one write(2), the way the kernel takes
 * a map; returns 0, or 1 with a message. */
static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return fail("open %s", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fail("write %s", path);
		close(fd);
		return 1;
	}
	if (close(fd) == -1)
		return fail("close %s", path);
	return 0;
}

/* Maps root inside the child's user namespace to our own uid and gid, as
 * chapter 6 does; returns 0, or 1 if a step failed. */
static int map_root(pid_t pid)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)geteuid());
	if (write_proc(pid, "uid_map", map) != 0 ||
	    write_proc(pid, "setgroups", "deny") != 0)
		return 1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)getegid());
	return write_proc(pid, "gid_map", map);
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

/* Runs in the child: waits for the maps, makes the new root, gives up the
 * power to mount, then becomes the command.  Returns only if a
 * step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	char c;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");

	/* One byte: the maps are written, and we are root here.  End of
	 * file: the parent failed (it said why) or died. */
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "%s: the parent did not write the maps\n",
			program_invocation_short_name);
		return 1;
	}
	close(ready[0]);

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

	/*
	 * TODO: root still holds every capability over the namespaces it
	 * lives in, and may mount and set the host name.  Take CAP_SYS_ADMIN
	 * out of every set, and nothing else: the bounding set with
	 * cap_drop_bound(), then the effective, permitted and inheritable
	 * sets (cap_get_proc(), cap_set_flag() with CAP_CLEAR,
	 * cap_set_proc()).  The name through cap_from_name(), never a bit
	 * number.  See 10.6 "Exercises".
	 */

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
	int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS |
		    SIGCHLD;
	static char exe[PATH_MAX], image[PATH_MAX + 32];
	int status, opt, failed;
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

	if (pipe2(ready, O_CLOEXEC) == -1)
		return fail("pipe2");
	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works.
	 * CLONE_NEWUSER first: the other namespaces belong to the new user
	 * namespace, where the child will be root. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* With CLONE_NEWUSER, EPERM means user namespaces are refused. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": user namespaces are "
			"refused here (`make doctor` says why)" : "");
		return 1;
	}

	close(ready[0]);
	failed = map_root(pid) != 0;
	if (!failed && write(ready[1], "", 1) != 1)
		failed = fail("write to the child");
	close(ready[1]);

	if (waitpid(pid, &status, 0) == -1)
		return fail("waitpid %d", pid);
	if (failed)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
