/*
 * image.h: the observer's image, for the tests of chapter 7 and after: a
 * small root file system made in the sandbox from the busybox there, as
 * tools/image.sh makes the workbook's, and a checksum to tell whether a run
 * changed it.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stdio.h>

/* Makes an image at dir (its parents too): bin/busybox, copied, and links to
 * it for a few commands; etc/passwd, etc/group and etc/os-release; empty
 * proc, sys, dev, tmp and root; and box/probe and box/escape, copies of
 * the tools in /box (watch.h knows a copy of the probe by its contents).
 * The top folder named lacking is left out (NULL: none).
 * Beside dir, a file "marker", which nothing inside may see.  Dies on
 * failure. */
void image_make(const char *dir, const char *lacking);

/* Adds box/setuid-probe to the image at dir: a copy of the probe,
 * set-user-ID and owned by the caller, the sandbox's root.  Dies on
 * failure. */
void image_add_setuid_probe(const char *dir);

/* Returns the path of the marker beside the image at dir. */
const char *image_marker(const char *dir);

/* Prints "image DIR MAJOR:MINOR INODE" (the folder's device and inode) and
 * "image DIR sum HEX": a hash of every name below dir with its type, mode,
 * and link target, or size and change time for a file, in sorted order; any
 * write to a file changes its change time, and nothing sets it back, while
 * a folder's times are left out, so that a name made and removed again
 * leaves the sum as it was; and "image DIR holds NAME...",
 * the names at its top, sorted, as the escape prints those of the root it
 * reaches.  A tree that cannot be read is printed as "image DIR
 * unreadable: REASON". */
void image_report(FILE *out, const char *dir);

#endif
