/*
 * exercise.c: what the exercise suites share (see exercise.h).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

enum { CLEAN_MAX = 400 };

void ex_run(struct run *r, const char *const scene[], const char *const args[])
{
	const char *program = getenv("PROGRAM");

	if (program == NULL || *program == '\0')
		cr_assert_fail("PROGRAM is not set: run the exercises with "
			       "`make check`, which builds and names them");
	sandbox_run(r, program, scene, args);
}

const char *ex_clean(const char *s)
{
	size_t n = 0;
	char *out;

	if (s == NULL || *s == '\0')
		return "(nothing)";
	out = malloc(CLEAN_MAX + 4);
	if (out == NULL)
		cr_assert_fail("out of memory");
	for (; *s != '\0' && n < CLEAN_MAX; s++) {
		unsigned char c = (unsigned char)*s;

		/* "]]>" would end Criterion's CDATA section early. */
		if (c == ']' && strncmp(s, "]]>", 3) == 0)
			c = ')';
		out[n++] = c == '\n' || (c >= ' ' && c < 0x7f) ? (char)c : '?';
	}
	if (*s != '\0')
		memcpy(out + n, "...", 3), n += 3;
	/* A trailing newline would leave an empty line in the report. */
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = '\0';
	return out;
}

const char *ex_get(const struct run *r, const char *section, const char *key)
{
	const char *v = run_get(r, section, key);

	return v == NULL ? "(none)" : ex_clean(v);
}

const char *ex_list(const struct run *r, const char *section, const char *key)
{
	return ex_clean(run_list(r, section, key));
}

void ex_expect_ran(const struct run *r, const char *see)
{
	const char *why = run_limit(r);

	/* The limits first: a fork bomb or a memory hog ends killed by a
	 * signal too, and the limit is what the student must hear of.  A
	 * process left behind is the least of them: the program's own end,
	 * and its own words if it failed, come first. */
	if (why != NULL && !run_only_left_behind(r))
		cr_assert_fail("%s It said:\n%s", ex_clean(why), ex_clean(r->err));
	if ((why = run_outlived(r)) != NULL)
		cr_assert_fail("%s (exit %d) It said:\n%s", ex_clean(why),
			       r->exit_code, ex_clean(r->err));
	if (why == NULL && run_only_left_behind(r) && r->exit_code != 0 &&
	    r->signal == 0 && r->err[0] != '\0')
		cr_assert_fail("the program failed with status %d; it said:\n%s\n"
			       "It also %s %s", r->exit_code, ex_clean(r->err),
			       ex_clean(run_limit(r)), see);
	if ((why = run_limit(r)) != NULL)
		cr_assert_fail("%s It said:\n%s", ex_clean(why), ex_clean(r->err));
	if (!r->observed)
		cr_assert_fail("the sandbox did not see the program end; it "
			       "said:\n%s", ex_clean(r->err));
	if (r->probed)
		return;
	if (r->signal != 0)
		cr_assert_fail("the program was killed by signal %d (%s) before "
			       "its command could report. %s It said:\n%s",
			       r->signal, strsignal(r->signal), see,
			       ex_clean(r->err));
	cr_assert_fail("the program exited with status %d before its "
		       "command could report. %s It said:\n%s", r->exit_code,
		       see, ex_clean(r->err));
}

bool ex_new_namespace(const struct run *r, const char *type)
{
	char key[32];
	const char *inside, *outside;

	/* As the observer saw the probe: a program can print any report. */
	snprintf(key, sizeof(key), "ns %s", type);
	inside = run_probe_ns(r, type);
	outside = run_get(r, "before", key);
	return inside != NULL && outside != NULL && strcmp(inside, outside) != 0;
}

int ex_count(const struct run *r, const char *section, const char *prefix)
{
	size_t k = strlen(prefix);
	int n = 0;

	for (size_t i = 0; i < r->nlines; i++)
		n += strcmp(r->lines[i].section, section) == 0 &&
		     strncmp(r->lines[i].text, prefix, k) == 0;
	return n;
}

/* Returns how many of the first n lines of the run are line, in section. */
static size_t occurrences(const struct run *r, const char *section,
			  const char *line, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n && i < r->nlines; i++)
		count += strcmp(r->lines[i].section, section) == 0 &&
			 strcmp(r->lines[i].text, line) == 0;
	return count;
}

const char *ex_added(const struct run *r, const char *key)
{
	char *list = NULL;
	size_t len = 0, k = strlen(key);
	FILE *f = open_memstream(&list, &len);
	const char *sep = "";

	if (f == NULL)
		cr_assert_fail("open_memstream: out of memory");
	for (size_t i = 0; i < r->nlines; i++) {
		const char *line = r->lines[i].text;

		if (strcmp(r->lines[i].section, "after") == 0 &&
		    strncmp(line, key, k) == 0 && line[k] == ' ' &&
		    occurrences(r, "after", line, i + 1) >
		    occurrences(r, "before", line, r->nlines)) {
			fprintf(f, "%s%s", sep, line + k + 1);
			sep = ", ";
		}
	}
	if (*sep == '\0')
		fputs("nothing", f);
	fclose(f);
	return ex_clean(list);
}
