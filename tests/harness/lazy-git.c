/*
 * lazy-git.c: libgit2 loaded only when Criterion needs it.
 *
 * Criterion uses libgit2 for one thing, the diff it prints when a new-style
 * assertion (cr_assert(eq(str, a, b))) fails, and calls git_libgit2_init()
 * in every process it starts: one per test.  Debian's libgit2 brings
 * fourteen libraries with it (Kerberos, OpenSSL, libssh2, mbed TLS...),
 * which the loader maps and relocates in every one of those processes, and
 * then reads and parses the machine's whole bundle of CA certificates (for
 * HTTPS, which a test never uses): 6.6 ms a process in all, of a suite's
 * --version, against 3.8 ms without.
 *
 * So the suites are linked to find this library first, built under
 * libgit2's own name (harness.mk: its folder in their DT_RPATH, which,
 * unlike DT_RUNPATH, is searched for Criterion's libraries too).  It holds
 * the three functions Criterion calls: the start is a no-op, the first diff
 * loads the real libgit2 (REAL_LIBGIT2, its path, found when this is built)
 * and starts it, and the end undoes that only if it happened.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#ifndef REAL_LIBGIT2
#error "REAL_LIBGIT2 must name the real libgit2's file"
#endif

static int started;	/* libgit2 loaded and started, by the first diff */

/* The real libgit2's function named name; NULL if it cannot be loaded. */
static void *real(const char *name)
{
	static void *lib;

	if (lib == NULL)
		lib = dlopen(REAL_LIBGIT2, RTLD_NOW | RTLD_LOCAL);
	return lib != NULL ? dlsym(lib, name) : NULL;
}

int git_libgit2_init(void)
{
	return 1;
}

int git_libgit2_shutdown(void)
{
	int (*shutdown)(void);

	if (!started || (shutdown = real("git_libgit2_shutdown")) == NULL)
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
