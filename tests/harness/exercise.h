/*
 * exercise.h: what the exercise suites (tests/exercises/ex-*.c) share.
 *
 * An exercise suite is named after its exercise (TestSuite(lo_up)) and runs
 * $PROGRAM, the student's build of it, in the sandbox (sandbox.h).  Its
 * failure messages are written for the student and end up in the grader's
 * table, its JUnit XML and its JSON; Criterion copies them into its XML
 * report unescaped, so anything the program under test could have chosen
 * (its stderr, a hostname, a file name) goes through ex_clean() first.
 */
#ifndef EXERCISE_H
#define EXERCISE_H

#include "sandbox.h"

/* Runs $PROGRAM (the exercise's build; fails the test if $PROGRAM is unset)
 * in the sandbox on the scene with args, into *r. */
void ex_run(struct run *r, const char *const scene[], const char *const args[]);

/* Fails the test with the first reason that applies, in plain words: the
 * time limit, the output limit, killed by signal N, or exited with status N
 * before running its command (with what it said); see names the section to
 * read.  Returns if the probe ran and reported. */
void ex_expect_ran(const struct run *r, const char *see);

/* Returns a copy of s that is safe in a failure message: at most 400 bytes,
 * printable ASCII and newlines only, no "]]>"; "(nothing)" for NULL or "". */
const char *ex_clean(const char *s);

/* Returns the value of "KEY VALUE" in section, cleaned; "(none)" if absent. */
const char *ex_get(const struct run *r, const char *section, const char *key);

/* Returns the lines "KEY ..." of section, joined and cleaned (run_list). */
const char *ex_list(const struct run *r, const char *section, const char *key);

/* Returns how many lines of section start with prefix. */
int ex_count(const struct run *r, const char *section, const char *prefix);

/* Returns the lines "KEY ..." of section "after" that "before" lacks (a
 * line "after" holds more often than "before", as a mount on a mount, counts
 * too), joined and cleaned; "nothing" if none. */
const char *ex_added(const struct run *r, const char *key);

/* Returns true if the probe ran in a namespace of type ("net", "mnt"...)
 * other than the observer's. */
bool ex_new_namespace(const struct run *r, const char *type);

#endif
