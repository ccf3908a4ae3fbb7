/*
 * contract.c: the contract's rules on status, each a run of the program
 * under test, one after another in one sandbox (test-contract.c).
 *
 *     usage: contract PROGRAM [--limit MS] RULE [ARG...] [-- RULE [ARG...]]...
 *
 * Run by the observer (--driver), PROGRAM being the program under test.
 * Each RULE is a name, then the arguments PROGRAM is given for it.  Each run
 * has /dev/null on stdin and a pipe of its own on stdout and on stderr, and
 * ends by itself or is killed after MS milliseconds (4000); the rules after
 * one that was are not run (a program that hangs for one mostly hangs for
 * all, and each would wait as long).  For each rule in order, once it has
 * ended:
 *
 *   rule NAME out LINE       each line it printed on stdout
 *   rule NAME err LINE       each line it printed on stderr
 *   rule NAME status exit N | rule NAME status signal N | rule NAME limit time
 *   rule NAME skipped        not run, after a rule that reached the limit
 *
 * Five sandboxes cost five times what one does, and a rule needs nothing
 * of its own but its arguments.  What the program prints comes after "rule
 * NAME out " or "err ", so that no line of its passes for the observer's.
 * What a run leaves behind is the observer's to see, at the end.
 * Exit status: 0, or 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	KEEP = 64 << 10,	/* bytes kept of each stream of a run */
	GRACE_MS = 100,		/* how long a run's pipes may stay open
				 * after it ended (a process it left holds
				 * them) */
};

struct stream {
	int fd;
	size_t len;
	char text[KEEP + 1];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads what s->fd holds now; closes it at end of file. */
static void take(struct stream *s)
{
	char buf[4096];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(s->fd);
			s->fd = -1;
		}
		return;
	}
	if ((size_t)n > KEEP - s->len)
		n = (ssize_t)(KEEP - s->len);
	memcpy(s->text + s->len, buf, (size_t)n);
	s->len += (size_t)n;
}

/* Prints s's text, a line "rule NAME KIND LINE" each. */
static void print(const char *name, const char *kind, struct stream *s)
{
	char *save = NULL;

	s->text[s->len] = '\0';
	for (char *line = strtok_r(s->text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		printf("rule %s %s %s\n", name, kind, line);
}

/* Runs program with args, within limit_ms; prints what it did as rule
 * name.  Returns false if it reached the limit. */
static bool run(const char *name, const char *program, char *args[], int nargs,
		long long limit_ms)
{
	struct stream out = { .fd = -1 }, err = { .fd = -1 };
	int po[2], pe[2], status = 0;
	long long deadline = now_ms() + limit_ms, ended = 0;
	bool killed = false;
	char *argv[nargs + 2];
	pid_t pid;

	argv[0] = (char *)program;
	memcpy(argv + 1, args, (size_t)nargs * sizeof(*args));
	argv[nargs + 1] = NULL;
	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1) {
		perror("contract: pipe2");
		exit(1);
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("contract: fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null == -1 || dup2(null, 0) == -1 || dup2(po[1], 1) == -1 ||
		    dup2(pe[1], 2) == -1)
			_exit(125);
		execv(program, argv);
		dprintf(2, "contract: execv %s: %s\n", program, strerror(errno));
		_exit(125);
	}
	close(po[1]);
	close(pe[1]);
	out.fd = po[0];
	err.fd = pe[0];
	while (out.fd != -1 || err.fd != -1 || ended == 0) {
		struct pollfd p[2];
		nfds_t n = 0;
		long long t = now_ms();

		if (ended == 0 && waitpid(pid, &status, WNOHANG) == pid)
			ended = t;
		if (ended != 0 && (t - ended >= GRACE_MS ||
				   (out.fd == -1 && err.fd == -1)))
			break;
		if (ended == 0 && t >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			killed = true;
			break;
		}
		if (out.fd != -1)
			p[n++] = (struct pollfd){ out.fd, POLLIN, 0 };
		if (err.fd != -1)
			p[n++] = (struct pollfd){ err.fd, POLLIN, 0 };
		/* A short nap: the run's end is seen by waitpid(). */
		if (poll(p, n, 10) > 0)
			for (nfds_t i = 0; i < n; i++)
				if (p[i].revents != 0)
					take(p[i].fd == out.fd ? &out : &err);
	}
	if (out.fd != -1)
		close(out.fd);
	if (err.fd != -1)
		close(err.fd);
	print(name, "out", &out);
	print(name, "err", &err);
	if (killed)
		printf("rule %s limit time\n", name);
	else if (WIFSIGNALED(status))
		printf("rule %s status signal %d\n", name, WTERMSIG(status));
	else
		printf("rule %s status exit %d\n", name, WEXITSTATUS(status));
	fflush(stdout);
	return !killed;
}

int main(int argc, char *argv[])
{
	long long limit_ms = 4000;
	int i = 2;

	if (argc > 3 && strcmp(argv[2], "--limit") == 0) {
		limit_ms = atoll(argv[3]);
		i = 4;
	}
	if (argc <= i || limit_ms <= 0) {
		fprintf(stderr, "usage: contract PROGRAM [--limit MS] RULE [ARG...] "
			"[-- RULE [ARG...]]...\n");
		return 2;
	}
	for (bool go = true; i < argc; ) {
		int first = i + 1, n = 0;

		while (first + n < argc && strcmp(argv[first + n], "--") != 0)
			n++;
		if (go)
			go = run(argv[i], argv[1], argv + first, n, limit_ms);
		else
			printf("rule %s skipped\n", argv[i]);
		i = first + n + 1;
	}
	return 0;
}
