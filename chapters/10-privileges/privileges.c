/*
 * privileges.c: run a command in an image as root with less power: fewer
 * capabilities, no_new_privs, and a filter on its system calls.
 *
 *     usage: privileges [--root DIR] [--keep CAP,...] COMMAND [ARG...]
 *
 * rootfs.c plus a user namespace and a UTS namespace, so that root inside
 * has power over the namespaces it lives in, and three steps that take
 * most of that power away again once the child has made its root.  The
 * parent maps root inside to its own uid and gid, as chapter 6 does, while
 * the child waits on a pipe.  After the pivot, in the order the kernel
 * requires, the child:
 *
 *   1. cuts the capability bounding set to the fourteen capabilities
 *      Docker leaves root by default, plus any --keep names (libcap), and
 *      the effective and permitted sets to the same; the inheritable and
 *      ambient sets are emptied;
 *   2. sets no_new_privs, so that no program it runs can gain more;
 *   3. loads a seccomp filter (libseccomp) under which mount, unshare,
 *      setns, keyctl, bpf, reboot and the other calls a container has no
 *      use for fail with EPERM, clone() with a CLONE_NEW* flag too, and
 *      clone3() fails with ENOSYS, so that the C library falls back to
 *      clone().
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
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* The capabilities Docker leaves root in a container by default (Podman
 * 4.3 leaves eleven: these without net_raw, mknod and audit_write). */
static const char *const default_caps[] = {
	"cap_chown", "cap_dac_override", "cap_fowner", "cap_fsetid",
	"cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
	"cap_net_bind_service", "cap_net_raw", "cap_sys_chroot", "cap_mknod",
	"cap_audit_write", "cap_setfcap",
};

/* What the command keeps: those, and the --keep names. */
static cap_value_t keep[64];
static int nkeep;

/* The calls the filter refuses with EPERM: those Docker's default profile
 * allows only with a capability a container lacks by default (most with
 * CAP_SYS_ADMIN), or never. */
static const char *const refused[] = {
	"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open",
	"kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
	"init_module", "finit_module", "delete_module", "open_by_handle_at",
};

/* The flags that make clone(2) create a namespace. */
static const unsigned long clone_new[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

#define LENGTH(a) (sizeof(a) / sizeof((a)[0]))

/* Prints "privileges: STEP: REASON", the reason from errno, for a step
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

/* Adds the capability name ("cap_net_admin" or "CAP_NET_ADMIN") to keep[];
 * returns 0, or -1 if it names none. */
static int keep_cap(const char *name)
{
	cap_value_t cap;
	int i;

	if (cap_from_name(name, &cap) == -1)
		return -1;
	for (i = 0; i < nkeep && keep[i] != cap; i++)
		continue;
	if (i == nkeep && nkeep < (int)LENGTH(keep))
		keep[nkeep++] = cap;
	return 0;
}

/* Adds each capability of list, names separated by commas, to keep[];
 * returns 0, or 2, the status of a usage error, with a message. */
static int keep_caps(char *list)
{
	char *save = NULL;

	for (char *name = strtok_r(list, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		if (keep_cap(name) == -1) {
			fprintf(stderr, "%s: --keep %s: no such capability\n",
				program_invocation_short_name, name);
			return 2;
		}
	}
	return 0;
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

/* Returns true if cap is one the command keeps. */
static bool kept(cap_value_t cap)
{
	for (int i = 0; i < nkeep; i++)
		if (keep[i] == cap)
			return true;
	return false;
}

/* Cuts every capability set to keep[].  The bounding set first: editing
 * it takes CAP_SETPCAP, which the next step may take away.  Returns 0, or
 * 1 if a step failed. */
static int drop_capabilities(void)
{
	cap_t caps;
	int rc;

	/* What is not in the bounding set, no execve() can give back. */
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++) {
		if (!kept(cap) && cap_drop_bound(cap) == -1) {
			int err = errno;	/* cap_to_name() may change it */
			char *name = cap_to_name(cap);

			errno = err;
			fail("cap_drop_bound %s", name != NULL ? name : "?");
			cap_free(name);
			return 1;
		}
	}
	/* A new cap_t holds no capability: the command gets keep[] in its
	 * effective and permitted sets, nothing it could inherit. */
	caps = cap_init();
	if (caps == NULL)
		return fail("cap_init");
	rc = nkeep > 0 &&
	     (cap_set_flag(caps, CAP_EFFECTIVE, nkeep, keep, CAP_SET) == -1 ||
	      cap_set_flag(caps, CAP_PERMITTED, nkeep, keep, CAP_SET) == -1);
	rc = rc || cap_set_proc(caps) == -1;
	if (rc)
		fail("cap_set_proc");
	cap_free(caps);
	if (rc)
		return 1;
	if (cap_reset_ambient() == -1)
		return fail("cap_reset_ambient");
	return 0;
}

/* Adds to ctx a rule that makes the call name end with action, when its
 * first argument holds the bits flag (any value if flag is 0); returns 0,
 * or 1 with a message. */
static int add_rule(scmp_filter_ctx ctx, const char *name, uint32_t action,
		    unsigned long flag)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR) {
		fprintf(stderr, "%s: %s: no such system call\n",
			program_invocation_short_name, name);
		return 1;
	}
	if (flag == 0)
		rc = seccomp_rule_add(ctx, action, nr, 0);
	else
		rc = seccomp_rule_add(ctx, action, nr, 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
	errno = -rc;
	return rc == 0 ? 0 : fail("seccomp_rule_add %s", name);
}

/* Loads the filter: every call allowed but the refused[] ones, which fail
 * with EPERM, clone() with a CLONE_NEW* flag likewise, and clone3(), which
 * fails with ENOSYS.  libseccomp checks the architecture of each call: one
 * made through another (i386's int $0x80) kills the caller.  Returns 0, or
 * 1 if a step failed. */
static int load_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int failed, rc;

	if (ctx == NULL) {
		errno = ENOMEM;
		return fail("seccomp_init");
	}
	/* no_new_privs is a step of its own, before this one: libseccomp
	 * would otherwise set it itself, out of view. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	errno = -rc;
	failed = rc != 0 && fail("seccomp_attr_set SCMP_FLTATR_CTL_NNP");
	for (size_t i = 0; !failed && i < LENGTH(refused); i++)
		failed = add_rule(ctx, refused[i], SCMP_ACT_ERRNO(EPERM), 0);
	for (size_t i = 0; !failed && i < LENGTH(clone_new); i++)
		failed = add_rule(ctx, "clone", SCMP_ACT_ERRNO(EPERM), clone_new[i]);
	/* clone3() passes its flags in memory, which a filter cannot read:
	 * "no such call" makes the C library fall back to clone(). */
	if (!failed)
		failed = add_rule(ctx, "clone3", SCMP_ACT_ERRNO(ENOSYS), 0);
	if (!failed && (rc = seccomp_load(ctx)) != 0) {
		errno = -rc;
		failed = fail("seccomp_load");
	}
	seccomp_release(ctx);
	return failed;
}

/* Runs in the child: waits for the maps, makes the new root, gives up the
 * power it no longer needs, then becomes the command.  Returns only if a
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

	/* The root is made: from here on, less power.  First the
	 * capabilities, which mounting took. */
	if (drop_capabilities() != 0)
		return 1;
	/* Without CAP_SYS_ADMIN the kernel loads a filter only for a process
	 * that can gain no privilege at execve(): set-user-ID programs could
	 * otherwise be run under a filter that makes them fail halfway. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail("prctl PR_SET_NO_NEW_PRIVS");
	/* Last, since the filter refuses the mounts above. */
	if (load_filter() != 0)
		return 1;

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
	int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS |
		    SIGCHLD;
	static char exe[PATH_MAX], image[PATH_MAX + 32];
	int status, opt, failed;
	ssize_t n;
	pid_t pid;

	for (size_t i = 0; i < LENGTH(default_caps); i++)
		if (keep_cap(default_caps[i]) == -1)
			return fail("cap_from_name %s", default_caps[i]);
	/* "+" stops at the first non-option, so the command keeps its own options. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		if (opt == 'r')
			root = optarg;
		else if (opt != 'k' || keep_caps(optarg) != 0)
			break;
	}
	if (opt != -1 || optind == argc) {
		if (opt != 'k')
			fprintf(stderr, "usage: %s [--root DIR] [--keep CAP,...] "
				"COMMAND [ARG...]\n", program_invocation_short_name);
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
