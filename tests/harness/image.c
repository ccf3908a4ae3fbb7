/*
 * image.c: the observer's image and its checksum (see image.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "die.h"
#include "image.h"

#define BUSYBOX "/usr/bin/busybox"

/* What the image holds: its top folders, and the commands the tests run. */
static const char *const folders[] = {
	"bin", "etc", "proc", "sys", "dev", "tmp", "root", "box",
};
static const char *const commands[] = {
	"sh", "cat", "echo", "env", "false", "id", "ls", "printf", "sleep",
	"true",
};
/* The tools copied in from /box, where tests/harness/sandbox.c puts them. */
static const char *const tools[] = { "probe", "escape" };

/* Makes path and its parents, like mkdir -p; dies on failure. */
static void make_dirs(const char *path)
{
	char *copy = strdup(path);

	for (char *p = strchr(copy + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST)
			die("mkdir %s", copy);
		*p = '/';
	}
	if (mkdir(copy, 0755) == -1 && errno != EEXIST)
		die("mkdir %s", copy);
	free(copy);
}

/* Writes text to the new file at path, with mode; dies on failure. */
static void put(const char *path, const char *text, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) == -1)
		die("write %s", path);
}

/* Copies the file from to the new file to, with mode, in the kernel
 * (sendfile(2)); dies on failure. */
static void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	struct stat st;
	ssize_t n = 1;

	if (in == -1 || fstat(in, &st) == -1)
		die("open %s", from);
	if (out == -1)
		die("open %s", to);
	for (off_t done = 0; done < st.st_size && n > 0; done += n)
		n = sendfile(out, in, NULL, (size_t)(st.st_size - done));
	if (n == -1)
		die("copy %s to %s", from, to);
	close(in);
	if (close(out) == -1)
		die("write %s", to);
}

/* Returns true if name is the top folder the image must lack. */
static int lacks(const char *lacking, const char *name)
{
	return lacking != NULL && strcmp(lacking, name) == 0;
}

void image_make(const char *dir, const char *lacking)
{
	char path[4096], copy[4096];

	make_dirs(dir);
	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, folders[i]);
		if (!lacks(lacking, folders[i]) && mkdir(path, 0755) == -1)
			die("mkdir %s", path);
	}
	snprintf(path, sizeof(path), "%s/tmp", dir);
	if (!lacks(lacking, "tmp") && chmod(path, 01777) == -1)
		die("chmod %s", path);
	if (!lacks(lacking, "bin")) {
		snprintf(path, sizeof(path), "%s/bin/busybox", dir);
		copy_file(BUSYBOX, path, 0755);
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			snprintf(path, sizeof(path), "%s/bin/%s", dir, commands[i]);
			if (symlink("busybox", path) == -1)
				die("symlink %s", path);
		}
	}
	if (!lacks(lacking, "etc")) {
		snprintf(path, sizeof(path), "%s/etc/passwd", dir);
		put(path, "root:x:0:0:root:/root:/bin/sh\n"
		    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0644);
		snprintf(path, sizeof(path), "%s/etc/group", dir);
		put(path, "root:x:0:\nnogroup:x:65534:\n", 0644);
		snprintf(path, sizeof(path), "%s/etc/os-release", dir);
		put(path, "NAME=\"The observer's image\"\nID=observer\n", 0644);
	}
	for (size_t i = 0; !lacks(lacking, "box") &&
	     i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(path, sizeof(path), "/box/%s", tools[i]);
		snprintf(copy, sizeof(copy), "%s/box/%s", dir, tools[i]);
		if (access(path, F_OK) == 0)
			copy_file(path, copy, 0755);
	}
	put(image_marker(dir), "outside the image\n", 0644);
}

void image_add_setuid_probe(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/box/setuid-probe", dir);
	copy_file("/box/probe", path, 0755);
	/* chmod(2), not open(2)'s mode, which the umask may cut. */
	if (chmod(path, 04755) == -1)
		die("chmod 4755 %s", path);
}

const char *image_marker(const char *dir)
{
	static char path[4096];
	char copy[4096];

	snprintf(copy, sizeof(copy), "%s", dir);
	snprintf(path, sizeof(path), "%s/marker", dirname(copy));
	return path;
}

/* Adds n bytes at p to the FNV-1a hash *h. */
static void hash(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ c[i]) * 1099511628211ULL;
}

/* Adds path, known as rel, and everything below it to *h: names, types,
 * modes, link targets, and for a file its size and its change time, which
 * every write moves and no program can set back (utimes(2) sets the others);
 * returns 0, or -1 with errno set. */
static int hash_tree(uint64_t *h, const char *path, const char *rel)
{
	char target[4096], child[4096], childrel[4096];
	struct dirent **names;
	struct stat st;
	ssize_t n;
	int count, rc = 0;

	if (lstat(path, &st) == -1)
		return -1;
	hash(h, rel, strlen(rel) + 1);
	hash(h, &st.st_mode, sizeof(st.st_mode));
	if (S_ISREG(st.st_mode)) {
		hash(h, &st.st_size, sizeof(st.st_size));
		hash(h, &st.st_ctim, sizeof(st.st_ctim));
	} else if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target));
		if (n == -1)
			return -1;
		hash(h, target, (size_t)n);
	} else if (S_ISDIR(st.st_mode)) {
		count = scandir(path, &names, NULL, alphasort);
		if (count == -1)
			return -1;
		for (int i = 0; i < count; i++) {
			const char *name = names[i]->d_name;

			if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
				snprintf(child, sizeof(child), "%s/%s", path, name);
				snprintf(childrel, sizeof(childrel), "%s/%s", rel, name);
				rc = hash_tree(h, child, childrel);
			}
			free(names[i]);
		}
		free(names);
	}
	return rc;
}

void image_report(FILE *out, const char *dir)
{
	uint64_t h = 14695981039346656037ULL;
	struct dirent **names;
	struct stat st;
	int n;

	if (stat(dir, &st) == -1 || hash_tree(&h, dir, ".") == -1 ||
	    (n = scandir(dir, &names, NULL, alphasort)) == -1) {
		fprintf(out, "image %s unreadable: %s\n", dir, strerror(errno));
		return;
	}
	fprintf(out, "image %s %u:%u %lu\n", dir, major(st.st_dev),
		minor(st.st_dev), (unsigned long)st.st_ino);
	fprintf(out, "image %s sum %016llx\n", dir, (unsigned long long)h);
	fprintf(out, "image %s holds", dir);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			fprintf(out, " %s", names[i]->d_name);
		free(names[i]);
	}
	fprintf(out, "\n");
	free(names);
}
