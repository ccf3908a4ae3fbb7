/*
 * cgbox-tool.c: the sandbox's cgroup (cgbox.h) for scripts that start
 * bubblewrap themselves, such as book/sandbox.sh.
 *
 *     usage: cgbox --layout
 *            cgbox [--uid UID] -- bwrap [ARG...]
 *
 * --layout prints what a sandbox gets here: "v2", "hybrid" or "v1" on the
 * first line, then each hierarchy as "NAME:TYPE:OPTIONS" (mount it at
 * /sys/fs/cgroup/NAME, "." for /sys/fs/cgroup itself, with mount -t TYPE
 * -o OPTIONS); it exits 0.  Where no cgroup can be had it prints why, and
 * the fix, on stderr, and exits 2.
 *
 * Otherwise it makes the sandbox's cgroup (256 MiB, no swap, 256
 * processes), starts bubblewrap in its box/ as UID (and the same gid, also
 * its one supplementary group), dying with us, with --info-fd and
 * --block-fd added so that bubblewrap's own process leaves box/ once it
 * has made the sandbox; waits for it, then
 * removes the cgroup.  SIGINT and SIGTERM end bubblewrap, and the cgroup
 * goes all the same.  Where no cgroup can be had, it runs bubblewrap as
 * UID without one.  Exits with bubblewrap's status (128+N after signal N),
 * or 125 if it could not start it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgbox.h"

static volatile pid_t child = -1;

/* SIGINT, SIGTERM: bubblewrap goes, and the sandbox with it. */
static void on_signal(int sig)
{
	(void)sig;
	if (child > 0)
		kill(child, SIGKILL);
}

/* Prints the layout and the hierarchies; returns 0, or 2 with the reason. */
static int layout(void)
{
	struct cgbox box;
	char args[1024];
	const char *w;

	if (cgbox_find(&box) == -1) {
		fprintf(stderr, "cgbox: the sandbox gets no cgroup here: %s\n", box.why);
		return 2;
	}
	cgbox_mount_args(&box, args, sizeof(args));
	printf("%s\n", box.layout);
	for (w = args; *w != '\0'; w += strlen(w) + 1)
		if (strcmp(w, "--cgroup") != 0)
			printf("%s\n", w);
	return 0;
}

/* In the child: into box/ (if there is one), the uid, then argv with the
 * two descriptors bubblewrap talks on.  Never returns. */
static void run(const struct cgbox *box, char **argv, long uid, int info, int block)
{
	char info_arg[16], block_arg[16];
	char **args;
	int n = 0, i;

	if (box != NULL && cgbox_enter(box) == -1) {
		fprintf(stderr, "cgbox: cannot enter the sandbox's cgroup: %s\n",
			strerror(errno));
		_exit(125);
	}
	/* Its group as its one supplementary group, as a plain user has. */
	if (uid >= 0 && (setgroups(1, &(gid_t){ (gid_t)uid }) == -1 ||
			 setresgid(uid, uid, uid) == -1 ||
			 setresuid(uid, uid, uid) == -1)) {
		fprintf(stderr, "cgbox: cannot become uid %ld: %s\n", uid,
			strerror(errno));
		_exit(125);
	}
	/* A changed uid clears the parent-death signal: set it after. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(125);
	for (i = 0; argv[i] != NULL; i++)
		continue;
	args = calloc((size_t)i + 5, sizeof(char *));
	if (args == NULL)
		_exit(125);
	args[n++] = argv[0];
	if (box != NULL) {
		snprintf(info_arg, sizeof(info_arg), "%d", info);
		snprintf(block_arg, sizeof(block_arg), "%d", block);
		args[n++] = "--info-fd";
		args[n++] = info_arg;
		args[n++] = "--block-fd";
		args[n++] = block_arg;
		fcntl(info, F_SETFD, 0);
		fcntl(block, F_SETFD, 0);
	}
	for (i = 1; argv[i] != NULL; i++)
		args[n++] = argv[i];
	execvp(args[0], args);
	fprintf(stderr, "cgbox: execvp %s: %s\n", args[0], strerror(errno));
	_exit(125);
}

int main(int argc, char *argv[])
{
	struct sigaction act = { .sa_handler = on_signal };
	static struct cgbox box;
	int info[2] = { -1, -1 }, block[2] = { -1, -1 }, status = 0, i = 1;
	bool cgroup;
	long uid = -1;
	char buf[512];

	if (argc == 2 && strcmp(argv[1], "--layout") == 0)
		return layout();
	if (argc > 3 && strcmp(argv[1], "--uid") == 0) {
		uid = atol(argv[2]);
		i = 3;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--") != 0) {
		fprintf(stderr, "usage: cgbox --layout\n"
			"       cgbox [--uid UID] -- bwrap [ARG...]\n");
		return 2;
	}
	cgroup = cgbox_make(&box, NULL, 256LL << 20, 256, uid >= 0 ? (uid_t)uid : (uid_t)-1,
			    uid >= 0 ? (gid_t)uid : (gid_t)-1) == 0;
	if (!cgroup && box.layout != NULL) {
		fprintf(stderr, "cgbox: %s\n", box.why);
		return 125;
	}
	if (cgroup && (pipe2(info, O_CLOEXEC) == -1 || pipe2(block, O_CLOEXEC) == -1)) {
		perror("cgbox: pipe2");
		cgbox_remove(&box);
		return 125;
	}
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	child = fork();
	if (child == 0)
		run(cgroup ? &box : NULL, &argv[i + 1], uid, info[1], block[0]);
	if (cgroup) {
		close(info[1]);
		close(block[0]);
		/* bubblewrap writes its pid once the sandbox is made, then
		 * closes: then its own process may leave box/. */
		while (child > 0 && read(info[0], buf, sizeof(buf)) > 0)
			continue;
		if (child > 0 && cgbox_release(&box, child) == -1)
			kill(child, SIGKILL);
		if (write(block[1], "1", 1) == -1 && child > 0)
			kill(child, SIGKILL);
		close(block[1]);
		close(info[0]);
	}
	while (child > 0 && waitpid(child, &status, 0) == -1 && errno == EINTR)
		continue;
	if (cgroup && cgbox_remove(&box) == -1) {
		fprintf(stderr, "cgbox: %s\n", box.why);
		return 125;
	}
	if (child == -1)
		return 125;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
