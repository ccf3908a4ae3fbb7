/*
 * errors.c: the runtime's messages (chapter 11; the shape is chapter 7's
 * fail(), and common/die.c's).
 *
 * The OCI runtime spec asks a runtime that fails to say so and change
 * nothing.  So an error is kept, not printed, where it happens: the steps
 * return -1 and the caller undoes what it made, and only the command at the
 * top reports, one line.  In the container's process, before exec, there is
 * no one to read its stderr but the container's own output: that process
 * sends its error to create instead (linux.c), which reports it.
 */
#define _GNU_SOURCE
#include <stdarg.h>

#include "runtime.h"

bool debugging;
static char kept[1024];
static FILE *log_file;
static bool log_json;

/* Keeps the message fmt, with ": strerror(err)" unless err is 0. */
static int keep(int err, const char *fmt, va_list ap)
{
	int n = vsnprintf(kept, sizeof(kept), fmt, ap);

	if (err != 0 && n >= 0 && (size_t)n < sizeof(kept))
		snprintf(kept + n, sizeof(kept) - (size_t)n, ": %s", strerror(err));
	return -1;
}

int fail(const char *fmt, ...)
{
	int err = errno;	/* before anything else may change it */
	va_list ap;

	va_start(ap, fmt);
	keep(err, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	keep(0, fmt, ap);
	va_end(ap);
	return -1;
}

const char *last_error(void)
{
	return kept;
}

int errors_log_to(const char *path, bool json)
{
	log_file = fopen(path, "ae");
	if (log_file == NULL)
		return fail("open log `%s`", path);
	log_json = json;
	return 0;
}

/* Writes one line of level ("error", "debug") to the log file, if any. */
static void log_line(const char *level, const char *msg)
{
	char when[64];
	time_t now = time(NULL);
	json_t *line;
	char *text;

	if (log_file == NULL)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (!log_json) {
		fprintf(log_file, "%s %s: %s\n", when, level, msg);
	} else {
		/* conmon and podman read runc's log this way. */
		line = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg,
				 "time", when);
		text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
		if (text != NULL)
			fprintf(log_file, "%s\n", text);
		free(text);
		json_decref(line);
	}
	fflush(log_file);
}

void report(void)
{
	fprintf(stderr, "%s: %s\n", program_invocation_short_name,
		*kept != '\0' ? kept : "failed");
	log_line("error", kept);
}

void debug(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!debugging)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: debug: %s\n", program_invocation_short_name, msg);
	log_line("debug", msg);
}
