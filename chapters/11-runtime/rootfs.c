/*
 * rootfs.c: the container's file system, from config.json (chapters 2 and
 * 7, the mounts and the root).
 *
 * Every mount of config.json's list is made in order, inside the new root
 * and never beside it: a path is opened in the root as the container will
 * see it, so that a link in an image cannot point a mount at the host.
 * Then /dev gets the devices every container has, bound from the host's
 * (a user namespace may not mknod), and, once the root is "/", the masked
 * paths are hidden and the read-only ones made so.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "runtime.h"

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
unsigned long locked_flags(const char *path)
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

unsigned long propagation_named(const char *name)
{
	int k = name != NULL ? mount_option(name) : -1;

	return k != -1 && mount_options[k].how == PROPAGATION ? mount_options[k].flag : 0;
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

int rootfs_mount(int rootfd, const json_t *config)
{
	json_t *m;
	size_t i;

	json_array_foreach(cfg_get(config, "mounts"), i, m)
		if (mount_one(rootfd, m) == -1)
			return -1;
	if (make_dev(rootfd) == -1)
		return -1;
	return make_devices(rootfd, cfg_get(cfg_get(config, "linux"), "devices"));
}

/* Hides linux.maskedPaths (a read-only tmpfs on a folder, /dev/null on a
 * file) and makes linux.readonlyPaths read-only.  After the pivot. */
int rootfs_protect(const json_t *lx)
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
