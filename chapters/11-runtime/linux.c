/*
 * linux.c: the container's process and its set-up, from config.json
 * (chapters 1-7 and 9, put together).
 *
 * create clones the container's process in the namespaces config.json asks
 * for (chapters 1-6), after joining those it names by path (a network
 * namespace that podman made, chapter 9).  The process waits for its
 * cgroup (cgroup.c), then makes its mounts in order, its /dev (chapter 7's
 * devices), the terminal, pivots into its root (chapter 7), hides and
 * protects paths, takes its hostname, limits, user and powers (chapter 10,
 * privileges.c), finds its program, and says it is ready.  Then it waits on
 * the exec fifo until start, and execs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

#include "runtime.h"

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The namespaces config.json names, and the flag of each (chapters 1-6). */
static const struct { const char *type; int flag; } namespaces[] = {
	{ "network", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "pid", CLONE_NEWPID },
	{ "cgroup", CLONE_NEWCGROUP }, { "mount", CLONE_NEWNS },
	{ "user", CLONE_NEWUSER },	/* last: joining it gives up the others */
};

/* The mount options that are flags, set or cleared, and the propagations,
 * set in a call of their own after the mount (chapter 2).  The other
 * options are the file system's data. */
enum { SET, CLEAR, PROPAGATION };
static const struct { const char *name; unsigned long flag; int how; } mount_options[] = {
	{ "ro", MS_RDONLY, SET }, { "rw", MS_RDONLY, CLEAR },
	{ "nosuid", MS_NOSUID, SET }, { "suid", MS_NOSUID, CLEAR },
	{ "nodev", MS_NODEV, SET }, { "dev", MS_NODEV, CLEAR },
	{ "noexec", MS_NOEXEC, SET }, { "exec", MS_NOEXEC, CLEAR },
	{ "sync", MS_SYNCHRONOUS, SET }, { "async", MS_SYNCHRONOUS, CLEAR },
	{ "dirsync", MS_DIRSYNC, SET }, { "mand", MS_MANDLOCK, SET },
	{ "nomand", MS_MANDLOCK, CLEAR }, { "noatime", MS_NOATIME, SET },
	{ "atime", MS_NOATIME, CLEAR }, { "nodiratime", MS_NODIRATIME, SET },
	{ "diratime", MS_NODIRATIME, CLEAR }, { "relatime", MS_RELATIME, SET },
	{ "norelatime", MS_RELATIME, CLEAR }, { "strictatime", MS_STRICTATIME, SET },
	{ "nostrictatime", MS_STRICTATIME, CLEAR }, { "bind", MS_BIND, SET },
	{ "rbind", MS_BIND | MS_REC, SET },
	{ "private", MS_PRIVATE, PROPAGATION }, { "rprivate", MS_PRIVATE | MS_REC, PROPAGATION },
	{ "shared", MS_SHARED, PROPAGATION }, { "rshared", MS_SHARED | MS_REC, PROPAGATION },
	{ "slave", MS_SLAVE, PROPAGATION }, { "rslave", MS_SLAVE | MS_REC, PROPAGATION },
	{ "unbindable", MS_UNBINDABLE, PROPAGATION },
	{ "runbindable", MS_UNBINDABLE | MS_REC, PROPAGATION },
};

/* The devices every container has, bound from the host's (chapter 7). */
static const char *const devices[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};
static const char *const dev_links[][2] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

/* The sysctls that belong to a namespace, so that setting one in the
 * container does not set it for the machine. */
static const struct { const char *prefix; const char *ns; } sysctls[] = {
	{ "net.", "network" }, { "kernel.msg", "ipc" }, { "kernel.sem", "ipc" },
	{ "kernel.shm", "ipc" }, { "fs.mqueue.", "ipc" },
	{ "kernel.hostname", "uts" }, { "kernel.domainname", "uts" },
};

/* process.rlimits' types are the names of <sys/resource.h>. */
#define RLIMIT(name) { #name, name }
static const struct { const char *name; int resource; } rlimits[] = {
	RLIMIT(RLIMIT_AS), RLIMIT(RLIMIT_CORE), RLIMIT(RLIMIT_CPU), RLIMIT(RLIMIT_DATA),
	RLIMIT(RLIMIT_FSIZE), RLIMIT(RLIMIT_LOCKS), RLIMIT(RLIMIT_MEMLOCK),
	RLIMIT(RLIMIT_MSGQUEUE), RLIMIT(RLIMIT_NICE), RLIMIT(RLIMIT_NOFILE),
	RLIMIT(RLIMIT_NPROC), RLIMIT(RLIMIT_RSS), RLIMIT(RLIMIT_RTPRIO),
	RLIMIT(RLIMIT_RTTIME), RLIMIT(RLIMIT_SIGPENDING), RLIMIT(RLIMIT_STACK),
};

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		err = errno;
		if (fd != -1)
			close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

int read_line(const char *path, char *line, size_t size)
{
	FILE *f = fopen(path, "re");
	int rc = f != NULL && fgets(line, (int)size, f) != NULL ? 0 : -1;

	if (f != NULL)
		fclose(f);
	return rc;
}

/* Opens path inside the root rootfd as the container will see it: "..",
 * and links that point to "/...", stay in the root (RESOLVE_IN_ROOT), so
 * that an image cannot point a mount at the host.  Makes what is missing:
 * folders, and the last part as an empty file if file.  Returns the name
 * mount(2) reaches it by, /proc/self/fd/N, good until the next call (which
 * closes N); or NULL. */
const char *inside(int rootfd, const char *path, bool file)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT };
	char sofar[4096] = "", copy[4096], *save = NULL;
	static char name[64];
	static int fd = -1;
	int next;

	if (fd != -1)
		close(fd);
	fd = dup(rootfd);
	snprintf(copy, sizeof(copy), "%s", path);
	for (char *part = strtok_r(copy, "/", &save); part != NULL && fd != -1;
	     part = strtok_r(NULL, "/", &save)) {
		bool last = save == NULL || *save == '\0';

		strncat(sofar, "/", sizeof(sofar) - strlen(sofar) - 1);
		strncat(sofar, part, sizeof(sofar) - strlen(sofar) - 1);
		next = syscall(SYS_openat2, rootfd, sofar, &how, sizeof(how));
		if (next == -1 && errno == ENOENT) {
			int made = last && file ?
				openat(fd, part, O_CREAT | O_WRONLY | O_CLOEXEC, 0644) :
				mkdirat(fd, part, 0755);

			if (made == -1 && errno != EEXIST) {
				fail("make `%s` in the root", sofar);
				close(fd);
				fd = -1;
				return NULL;
			}
			if (last && file && made != -1)
				close(made);
			next = syscall(SYS_openat2, rootfd, sofar, &how, sizeof(how));
		}
		if (next == -1)
			fail("open `%s` in the root", sofar);
		close(fd);
		fd = next;
	}
	if (fd == -1)
		return NULL;
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	return name;
}

/* The flags that a mount in a user namespace may not drop (the kernel
 * locks them): a remount must repeat them.  Chapter 7's read-only root. */
static unsigned long locked_flags(const char *path)
{
	static const struct { unsigned long st, ms; } map[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = 0;
	struct statvfs st;

	if (statvfs(path, &st) == 0)
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (st.f_flag & map[i].st)
				flags |= map[i].ms;
	return flags;
}

/* Copies the tree open at from into the folder at path (tmpcopyup: a
 * tmpfs that starts with what the image had there).  Returns 0 or -1. */
static int copy_tree(int from, const char *path)
{
	DIR *dir = fdopendir(from);
	struct dirent *e;
	char to[4096], target[4096];
	struct stat st;
	int rc = 0;

	if (dir == NULL)
		return fail("read the folder under `%s`", path);
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		snprintf(to, sizeof(to), "%s/%s", path, e->d_name);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			rc = sub == -1 || (mkdir(to, st.st_mode & 07777) == -1 && errno != EEXIST) ?
			     fail("copy `%s`", to) : copy_tree(sub, to);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(dirfd(dir), e->d_name, target, sizeof(target) - 1);

			target[n > 0 ? n : 0] = '\0';
			rc = n <= 0 || symlink(target, to) == -1 ? fail("copy `%s`", to) : 0;
		} else if (S_ISREG(st.st_mode)) {
			int in = openat(dirfd(dir), e->d_name, O_RDONLY | O_CLOEXEC);
			int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
			ssize_t n = in == -1 || out == -1 ? -1 : 1;

			/* The kernel copies, with no buffer of ours on the child's
			 * stack, which this recursion shares. */
			while (n > 0)
				n = sendfile(out, in, NULL, 1 << 30);
			rc = n == -1 ? fail("copy `%s`", to) : 0;
			if (in != -1)
				close(in);
			if (out != -1)
				close(out);
		}
		if (rc == 0 && lchown(to, st.st_uid, st.st_gid) == -1)
			rc = fail("chown `%s`", to);
	}
	closedir(dir);
	return rc;
}

/* Returns the index in mount_options of the option called name, or -1. */
static int mount_option(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(mount_options); k++)
		if (strcmp(name, mount_options[k].name) == 0)
			return (int)k;
	return -1;
}

/* Makes one mount of config.json's list, in the root rootfd (at rootfs).
 * Returns 0 or -1. */
static int mount_one(int rootfd, const json_t *m)
{
	const char *dest = cfg_str(m, "destination"), *type = cfg_str(m, "type");
	const char *source = cfg_str(m, "source"), *at;
	unsigned long flags = 0, propagation = 0;
	char data[1024] = "";
	bool copyup = false, is_file = false;
	json_t *opt;
	size_t i;
	int k, under = -1, rc;
	struct stat st;

	if (dest == NULL || dest[0] != '/')
		return fail_msg("config.json: a mount's destination must be an absolute path");
	json_array_foreach(cfg_get(m, "options"), i, opt) {
		const char *o = json_string_value(opt);

		if (o == NULL)
			return fail_msg("config.json: mount %s: an option is no string", dest);
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0)
			return fail_msg("mount %s: option %s is not supported by this runtime",
					dest, o);
		if ((k = mount_option(o)) != -1 && mount_options[k].how == PROPAGATION)
			propagation = mount_options[k].flag;
		else if (k != -1 && mount_options[k].how == CLEAR)
			flags &= ~mount_options[k].flag;
		else if (k != -1)
			flags |= mount_options[k].flag;
		else if (strcmp(o, "tmpcopyup") == 0)
			copyup = true;
		else	/* the file system's own: mode=755, newinstance... */
			snprintf(data + strlen(data), sizeof(data) - strlen(data), "%s%s",
				 *data ? "," : "", o);
	}
	if (type != NULL && strcmp(type, "bind") == 0)
		flags |= MS_BIND;
	if (type == NULL && !(flags & MS_BIND))
		return fail_msg("config.json: mount %s has no type", dest);
	if ((flags & MS_BIND) && source != NULL && stat(source, &st) == 0)
		is_file = !S_ISDIR(st.st_mode);
	if ((at = inside(rootfd, dest, is_file)) == NULL)
		return -1;
	if (copyup)	/* what is there before the tmpfs covers it */
		under = open(at, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (type != NULL && strcmp(type, "cgroup") == 0)
		rc = cgroup_mount(rootfd, dest, flags);
	else if (flags & MS_BIND)
		/* A bind ignores every flag but MS_REC: they come with a remount. */
		rc = mount(source, at, NULL, flags & (MS_BIND | MS_REC), NULL) == -1 ?
		     fail("mount --bind `%s` on %s", source ? source : "", dest) : 0;
	else
		rc = mount(source, at, type, flags, data) == -1 ?
		     fail("mount %s on %s", type, dest) : 0;
	/* The path named the folder under the new mount: what follows is for
	 * the mount itself, found again by its path. */
	if (rc == 0 && (at = inside(rootfd, dest, false)) == NULL)
		rc = -1;
	if (rc == 0 && (flags & MS_BIND) && (flags & ~(MS_BIND | MS_REC)) &&
	    mount(NULL, at, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_REC) | locked_flags(at),
		  NULL) == -1)
		rc = fail("mount %s: remount it with its options", dest);
	if (rc == 0 && propagation && mount(NULL, at, NULL, propagation, NULL) == -1)
		rc = fail("mount %s: set its propagation", dest);
	if (rc == 0 && under != -1)
		return copy_tree(under, at);	/* which closes under */
	if (under != -1)
		close(under);
	return rc;
}

/* Gives the new /dev what every container has: the host's null, zero,
 * full, random, urandom and tty bound on empty files (a user namespace may
 * not mknod), and the usual links.  Leaves alone what a mount gave it. */
static int make_dev(int rootfd)
{
	char path[64];
	const char *at;
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		snprintf(path, sizeof(path), "/dev/%s", devices[i]);
		if ((at = inside(rootfd, path, true)) == NULL)
			return -1;
		if (stat(at, &st) == 0 && !S_ISCHR(st.st_mode) &&
		    mount(path, at, NULL, MS_BIND, NULL) == -1)
			return fail("mount --bind %s in the container", path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++) {
		snprintf(path, sizeof(path), "dev/%s", dev_links[i][0]);
		if (symlinkat(dev_links[i][1], rootfd, path) == -1 && errno != EEXIST)
			return fail("symlink /%s in the container", path);
	}
	return 0;
}

/* Makes linux.devices: mknod where we may, else a bind of the host's node
 * of the same path.  Returns 0 or -1. */
static int make_devices(int rootfd, const json_t *list)
{
	json_t *d;
	size_t i;

	json_array_foreach(list, i, d) {
		const char *path = cfg_str(d, "path"), *type = cfg_str(d, "type");
		mode_t mode = (mode_t)cfg_int(d, "fileMode", 0666);
		char rel[4096];
		const char *at;

		if (path == NULL || type == NULL || strchr("cbup", type[0]) == NULL)
			return fail_msg("config.json: linux.devices: a device needs a path and a type c, b, u or p");
		mode |= type[0] == 'b' ? S_IFBLK : type[0] == 'p' ? S_IFIFO : S_IFCHR;
		snprintf(rel, sizeof(rel), "%s", path + (path[0] == '/'));
		if (mknodat(rootfd, rel, mode, makedev(cfg_int(d, "major", 0),
						       cfg_int(d, "minor", 0))) == 0) {
			if (fchownat(rootfd, rel, (uid_t)cfg_int(d, "uid", 0),
				     (gid_t)cfg_int(d, "gid", 0), 0) == -1)
				return fail("chown device %s", path);
			continue;
		}
		if (errno != EPERM)
			return fail("mknod device %s", path);
		if ((at = inside(rootfd, path, true)) == NULL)
			return -1;
		if (mount(path, at, NULL, MS_BIND, NULL) == -1)
			return fail("mount --bind device %s", path);
	}
	return 0;
}

/* Opens a terminal in the container's devpts, binds its slave on
 * /dev/console and sends the master to the console socket, in one
 * SCM_RIGHTS message: conmon reads and writes the container's terminal
 * through it.  Returns the slave, or -1. */
static int make_terminal(int rootfd, const struct setup *s)
{
	json_t *size = cfg_get(cfg_get(s->config, "process"), "consoleSize");
	struct winsize ws = { .ws_row = cfg_int(size, "height", 0),
			      .ws_col = cfg_int(size, "width", 0) };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "console", .iov_len = 7 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int master, slave;
	const char *console;
	char source[64];

	master = openat(rootfd, "dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		return fail("open /dev/pts/ptmx in the container (is devpts mounted?)");
	if (unlockpt(master) == -1)
		return fail("unlockpt");
	/* The slave, from the master itself: no path to look up, or to swap. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave == -1)
		return fail("ioctl TIOCGPTPEER");
	if (ws.ws_row && ioctl(slave, TIOCSWINSZ, &ws) == -1)
		return fail("ioctl TIOCSWINSZ");
	snprintf(source, sizeof(source), "/proc/self/fd/%d", slave);
	if ((console = inside(rootfd, "/dev/console", true)) == NULL)
		return -1;
	if (mount(source, console, NULL, MS_BIND, NULL) == -1)
		return fail("mount the terminal on /dev/console");
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	if (sendmsg(s->console_fd, &msg, 0) == -1)
		return fail("send the terminal to the console socket");
	close(master);
	close(s->console_fd);
	return slave;
}

/* Sets linux.sysctl, refusing a key that is the whole machine's. */
static int set_sysctls(const json_t *config)
{
	const char *key, *path;
	char file[4096];
	json_t *value;

	json_object_foreach(cfg_get(cfg_get(config, "linux"), "sysctl"), key, value) {
		size_t k = 0;

		while (k < ARRAY_SIZE(sysctls) &&
		       strncmp(key, sysctls[k].prefix, strlen(sysctls[k].prefix)) != 0)
			k++;
		if (k == ARRAY_SIZE(sysctls) || strstr(key, "..") ||
		    strchr(key, '/') || !config_namespace(config, sysctls[k].ns, &path))
			return fail_msg("sysctl %s is not the container's own: it would "
					"change the machine", key);
		snprintf(file, sizeof(file), "/proc/sys/%s", key);
		for (char *c = file + 10; *c; c++)
			*c = *c == '.' ? '/' : *c;
		if (!json_is_string(value))
			return fail_msg("sysctl %s: not a string", key);
		if (write_file(file, json_string_value(value)) == -1)
			return fail("write `%s`", file);
	}
	return 0;
}

/* Hides linux.maskedPaths (a read-only tmpfs on a folder, /dev/null on a
 * file) and makes linux.readonlyPaths read-only.  After the pivot. */
static int protect_paths(const json_t *lx)
{
	static const char *const lists[] = { "maskedPaths", "readonlyPaths" };
	struct stat st;
	json_t *p;
	size_t i;

	for (int ro = 0; ro < 2; ro++)
		json_array_foreach(cfg_get(lx, lists[ro]), i, p) {
			const char *path = json_string_value(p);

			if (path == NULL || stat(path, &st) == -1)
				continue;	/* nothing there to hide */
			if (!ro && (S_ISDIR(st.st_mode) ?
				    mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k") == -1 :
				    mount("/dev/null", path, NULL, MS_BIND, NULL) == -1))
				return fail("mask %s", path);
			if (ro && (mount(path, path, NULL, MS_BIND | MS_REC, NULL) == -1 ||
				   mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
					 locked_flags(path), NULL) == -1))
				return fail("make %s read-only", path);
		}
	return 0;
}

/* Sets process.rlimits. */
static int set_rlimits(const json_t *process)
{
	json_t *l;
	size_t i;

	json_array_foreach(cfg_get(process, "rlimits"), i, l) {
		const char *type = cfg_str(l, "type");
		struct rlimit r = { (rlim_t)cfg_int(l, "soft", 0), (rlim_t)cfg_int(l, "hard", 0) };
		size_t k = 0;

		while (k < ARRAY_SIZE(rlimits) &&
		       (type == NULL || strcmp(type, rlimits[k].name) != 0))
			k++;
		if (k == ARRAY_SIZE(rlimits))
			return fail_msg("config.json: unknown rlimit %s", type ? type : "(none)");
		if (setrlimit(rlimits[k].resource, &r) == -1)
			return fail("setrlimit %s", type);
	}
	return 0;
}

/* Finds args[0] as execvp() would, in the PATH of process.env, and keeps
 * it in path; fails the way podman knows: "executable file not found in
 * $PATH" (127) or "permission denied" (126). */
static int find_program(const json_t *process, char *path, size_t size, int *code)
{
	const char *name = json_string_value(json_array_get(cfg_get(process, "args"), 0));
	const char *search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char dirs[4096], *save = NULL;
	bool denied = false;
	struct stat st;
	json_t *e;
	size_t i;

	json_array_foreach(cfg_get(process, "env"), i, e)
		if (json_is_string(e) && strncmp(json_string_value(e), "PATH=", 5) == 0)
			search = json_string_value(e) + 5;
	snprintf(dirs, sizeof(dirs), "%s", strchr(name, '/') ? "" : search);
	for (char *d = strchr(name, '/') ? "" : strtok_r(dirs, ":", &save); d != NULL;
	     d = strchr(name, '/') ? NULL : strtok_r(NULL, ":", &save)) {
		snprintf(path, size, "%s%s%s", d, *d ? "/" : "", name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return 0;
		denied |= errno == EACCES || (stat(path, &st) == 0);
	}
	*code = denied ? 126 : 127;
	return fail_msg("exec `%s`: %s", name, denied ? "permission denied" :
			"executable file not found in $PATH");
}

/* Sends create a message: "R" ready, "A" released, or "E<code> error". */
static void tell(int fd, const char *msg)
{
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) == -1)
		_exit(1);	/* create has gone: so must we */
}

/* Waits for create's byte; returns it, or 0 if create has gone. */
static char hear(int fd)
{
	char c = 0;

	return recv(fd, &c, 1, 0) == 1 ? c : 0;
}

/* The set-up, in the container's process, up to the point where it is
 * ready: mounts, the new root, the hostname, the limits, the user and its
 * powers, the program found.  Returns 0, or -1 and *code. */
static int set_up(struct setup *s, int *fifo, int *tty, char *prog, size_t size,
		  int *code)
{
	json_t *lx = cfg_get(s->config, "linux"), *process = cfg_get(s->config, "process");
	const char *propagation = cfg_str(lx, "rootfsPropagation"), *hostname, *path;
	int k = propagation ? mount_option(propagation) : -1, rootfd;
	json_t *m;
	size_t i;

	/* In a new user namespace, root there (its map says who that is). */
	if (config_namespace(s->config, "user", &path) && path == NULL &&
	    (setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1))
		return fail("become root of the user namespace");
	/* Now that create has moved us into our cgroup, that is its root. */
	if (config_namespace(s->config, "cgroup", &path) && path == NULL &&
	    unshare(CLONE_NEWCGROUP) == -1)
		return fail("unshare CLONE_NEWCGROUP");
	/* Chapter 2: nothing we mount may travel back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | (k != -1 && mount_options[k].how == PROPAGATION ?
					       mount_options[k].flag : MS_PRIVATE), NULL) == -1)
		return fail("mount / MS_REC|%s", propagation ? propagation : "MS_PRIVATE");
	if ((hostname = cfg_str(s->config, "hostname")) != NULL &&
	    sethostname(hostname, strlen(hostname)) == -1)
		return fail("sethostname %s", hostname);
	if ((hostname = cfg_str(s->config, "domainname")) != NULL &&
	    setdomainname(hostname, strlen(hostname)) == -1)
		return fail("setdomainname %s", hostname);
	/* Chapter 7: the root, a mount point of its own. */
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail("mount --rbind %s", s->rootfs);
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd == -1)
		return fail("open root `%s`", s->rootfs);
	/* Open now, while its path is there to see: read and write, so that
	 * the open does not wait, and a read waits for start's byte. */
	if (s->fifo != NULL && (*fifo = open(s->fifo, O_RDWR | O_CLOEXEC)) == -1)
		return fail("open the exec fifo `%s`", s->fifo);
	json_array_foreach(cfg_get(s->config, "mounts"), i, m)
		if (mount_one(rootfd, m) == -1)
			return -1;
	if (make_dev(rootfd) == -1 || make_devices(rootfd, cfg_get(lx, "devices")) == -1)
		return -1;
	if (cfg_bool(process, "terminal") && (*tty = make_terminal(rootfd, s)) == -1)
		return -1;
	/* Chapter 7: the root becomes "/", the old one stacked on it, then
	 * detached, with every mount of the host's below it. */
	if (fchdir(rootfd) == -1 || syscall(SYS_pivot_root, ".", ".") == -1)
		return fail("pivot_root %s", s->rootfs);
	if (umount2(".", MNT_DETACH) == -1)
		return fail("umount2 the old root");
	if (chdir("/") == -1)
		return fail("chdir /");
	close(rootfd);
	if (set_sysctls(s->config) == -1 || protect_paths(lx) == -1)
		return -1;
	if (cfg_bool(cfg_get(s->config, "root"), "readonly") &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags("/"),
		  NULL) == -1)
		return fail("make the root read-only");
	if (set_rlimits(process) == -1)
		return -1;
	if (cfg_get(process, "oomScoreAdj")) {
		char score[32];

		snprintf(score, sizeof(score), "%lld", cfg_int(process, "oomScoreAdj", 0));
		if (write_file("/proc/self/oom_score_adj", score) == -1)
			return fail("write `/proc/self/oom_score_adj`");
	}
	/* A session of its own, and the terminal as its controlling one. */
	if (setsid() == -1)
		return fail("setsid");
	if (*tty != -1 && (ioctl(*tty, TIOCSCTTY, 0) == -1 || dup2(*tty, 0) == -1 ||
			   dup2(*tty, 1) == -1 || dup2(*tty, 2) == -1))
		return fail("make the terminal stdin, stdout and stderr");
	/* Chapter 10: without no_new_privs, loading a filter takes
	 * CAP_SYS_ADMIN, which goes with the user: load it first. */
	if (cfg_get(lx, "seccomp") && !cfg_bool(process, "noNewPrivileges") &&
	    seccomp_apply(cfg_get(lx, "seccomp")) == -1)
		return -1;
	if (privileges_drop(process) == -1)
		return -1;
	if (cfg_bool(process, "noNewPrivileges") && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail("prctl PR_SET_NO_NEW_PRIVS");
	/* A uid change clears the parent-death signal: set it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return fail("prctl PR_SET_PDEATHSIG");
	if (chdir(cfg_str(process, "cwd")) == -1)
		return fail("chdir %s", cfg_str(process, "cwd"));
	return find_program(process, prog, size, code);
}

/* Builds a NULL-terminated array of the strings in list. */
static char **strings(const json_t *list)
{
	char **v = calloc(json_array_size(list) + 1, sizeof(*v));
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (v != NULL)
			v[i] = (char *)json_string_value(e);
	return v;
}

/* Runs in the container's process: waits for create, sets up, says it is
 * ready, waits on the exec fifo, execs.  Returns only if a step failed. */
static int child_main(void *arg)
{
	struct setup *s = arg;
	json_t *process = cfg_get(s->config, "process");
	json_t *seccomp = cfg_get(cfg_get(s->config, "linux"), "seccomp");
	char prog[4096], msg[1100];
	int fifo = -1, tty = -1, code = 1, err;
	char go;

	state_drop_lock();
	/* Until create lets go of us, we die with it: chapter 0. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || hear(s->sync_fd) != 'G')
		return 1;
	if (set_up(s, &fifo, &tty, prog, sizeof(prog), &code) == -1) {
		snprintf(msg, sizeof(msg), "E%d %s", code, last_error());
		tell(s->sync_fd, msg);
		return code;
	}
	tell(s->sync_fd, "R");
	if (hear(s->sync_fd) != 'R')
		return 1;
	/* create exits now, and we go on: to conmon, its subreaper. */
	if (!s->die_with_parent && prctl(PR_SET_PDEATHSIG, 0) == -1)
		return 1;
	tell(s->sync_fd, "A");
	close(s->sync_fd);
	if (tty != -1)
		close(tty);
	/* The create/start split: here we wait until start writes its byte. */
	if (fifo != -1 && (read(fifo, &go, 1) != 1 || close(fifo) == -1))
		return 1;
	if (seccomp && cfg_bool(process, "noNewPrivileges") && seccomp_apply(seccomp) == -1) {
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, last_error());
		return 1;
	}
	/* Only what conmon asked to keep (--preserve-fds) goes through exec. */
	syscall(SYS_close_range, 3 + s->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(prog, strings(cfg_get(process, "args")), strings(cfg_get(process, "env")));
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: exec %s: %s\n", program_invocation_short_name, prog,
		strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Writes linux.uidMappings or gidMappings to /proc/PID/FILE. */
static int write_map(pid_t pid, const char *file, const json_t *list)
{
	char path[64], text[4096] = "";
	json_t *m;
	size_t i;

	json_array_foreach(list, i, m)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%lld %lld %lld\n",
			 cfg_int(m, "containerID", 0), cfg_int(m, "hostID", 0),
			 cfg_int(m, "size", 0));
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return write_file(path, text) == -1 ? fail("write `%s`", path) : 0;
}

int container_spawn(struct setup *s, pid_t *pid)
{
	json_t *lx = cfg_get(s->config, "linux");
	int flags = SIGCHLD, sv[2], fd;
	const char *path;

	/* Joined namespaces first (a network namespace that podman made):
	 * the process we clone is born in them. */
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
		if (!config_namespace(s->config, namespaces[i].type, &path))
			continue;
		if (path == NULL) {
			if (namespaces[i].flag != CLONE_NEWCGROUP)	/* set_up() */
				flags |= namespaces[i].flag;
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd == -1 || setns(fd, namespaces[i].flag) == -1)
			return fail("join the %s namespace `%s`", namespaces[i].type, path);
		close(fd);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return fail("socketpair");
	s->sync_fd = sv[1];
	*pid = clone(child_main, child_stack + STACK_SIZE, flags, s);
	if (*pid == -1)
		fail("clone");
	close(sv[1]);
	if (*pid == -1 || ((flags & CLONE_NEWUSER) &&
			   (write_map(*pid, "uid_map", cfg_get(lx, "uidMappings")) == -1 ||
			    write_map(*pid, "gid_map", cfg_get(lx, "gidMappings")) == -1))) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

int container_set_up(int sync_fd, pid_t pid, int *code)
{
	char msg[1100];
	ssize_t n;
	int status;

	*code = 1;
	if (send(sync_fd, "G", 1, MSG_NOSIGNAL) != 1)
		return fail("start the set-up");
	n = recv(sync_fd, msg, sizeof(msg) - 1, 0);
	if (n > 0 && msg[0] == 'R')
		return 0;
	if (n > 1 && msg[0] == 'E') {
		msg[n] = '\0';
		*code = atoi(msg + 1);
		fail_msg("%s", strchr(msg, ' ') ? strchr(msg, ' ') + 1 : "set-up failed");
	} else {
		fail_msg("the container's process ended during its set-up");
	}
	if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && n <= 0)
		fail_msg("the container's process was killed by signal %d during its set-up",
			 WTERMSIG(status));
	return -1;
}

int container_release(int sync_fd)
{
	if (send(sync_fd, "R", 1, MSG_NOSIGNAL) != 1 || hear(sync_fd) != 'A')
		return fail_msg("the container's process ended before it was released");
	return 0;
}
