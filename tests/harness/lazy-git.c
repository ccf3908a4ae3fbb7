/*
 * lazy-git.c: libgit2 started only when Criterion needs it.
 *
 * Criterion uses libgit2 for one thing, the diff it prints when a new-style
 * assertion (cr_assert(eq(str, a, b))) fails, and calls git_libgit2_init()
 * in every process it starts: one per test.  Debian's libgit2 then reads
 * and parses the machine's whole bundle of CA certificates (for HTTPS,
 * which a test never uses): 3.4 ms of CPU in every process (perf stat of
 * a suite's --version: 9.2 ms with it, 5.8 ms without).  Linked into every suite and exported
 * (harness.mk), these three stand in front of libgit2's: the start is put
 * off until the first diff, and undone only if it happened.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

/* libgit2's own function named name; NULL if it cannot be found. */
static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static int started;	/* libgit2 started, by the first diff */

int git_libgit2_init(void)
{
	return 1;
}

int git_libgit2_shutdown(void)
{
	int (*shutdown)(void) = real("git_libgit2_shutdown");

	if (!started || shutdown == NULL)
		return 0;
	started = 0;
	return shutdown();
}

int git_diff_buffers(const void *old, size_t old_len, const char *old_path,
		     const void *new, size_t new_len, const char *new_path,
		     const void *options, void *file_cb, void *binary_cb,
		     void *hunk_cb, void *line_cb, void *payload)
{
	int (*init)(void) = real("git_libgit2_init");
	int (*diff)(const void *, size_t, const char *, const void *, size_t,
		    const char *, const void *, void *, void *, void *, void *,
		    void *) = real("git_diff_buffers");

	if (init == NULL || diff == NULL)
		return -1;
	if (!started) {
		init();
		started = 1;
	}
	return diff(old, old_len, old_path, new, new_len, new_path, options,
		    file_cb, binary_cb, hunk_cb, line_cb, payload);
}
