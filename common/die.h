/*
 * die.h: report a failed step and exit, the way bubblewrap and err(3) do.
 *
 *     if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
 *             die("mount / MS_REC|MS_PRIVATE");
 *
 * prints "PROGRAM: mount / MS_REC|MS_PRIVATE: Operation not permitted".
 */
#ifndef DIE_H
#define DIE_H

/* Prints the program's name, the formatted message and strerror(errno) to
 * stderr, then exits with status 1.  Never returns. */
__attribute__((noreturn, format(printf, 1, 2)))
void die(const char *fmt, ...);

/* Like die(), without strerror(errno): for errors that are not a failed call. */
__attribute__((noreturn, format(printf, 1, 2)))
void die_msg(const char *fmt, ...);

#endif
