/*
 * veth.c: run a command in a new network namespace, wired to its parent's.
 *
 *     usage: veth COMMAND [ARG...]
 *
 * A veth pair is a virtual cable: what goes in one end comes out of the
 * other.  The parent creates the pair with one end, veth0, in its own
 * namespace and the other, ceth0, in the child's, and gives each end an
 * address on 10.200.0.0/24:
 *
 *     parent  veth0 10.200.0.1  <---->  ceth0 10.200.0.2  child
 *
 * so that `ping 10.200.0.1` works from inside.  The parent makes the pair,
 * as a container runtime does: the child could (it has CAP_NET_ADMIN over
 * its parent's namespace too), but then the command's own process would
 * hold the power to rewire the host.  The pair can be made only once the
 * child exists (its end is moved into the namespace of a process), so the
 * child waits on a pipe for the parent's byte.  Once the child has ended,
 * the parent removes its end.  Both sides use ip(8).
 *
 * Exit status: the command's, 128+N if signal N killed it, 127 or 126 if it
 * could not be run, 1 if a step before it failed, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/* The child runs on this stack.  It grows down, so clone() gets its top end. */
static char child_stack[STACK_SIZE] __attribute__((aligned(16)));

/* The pipe the parent closes once the cable is in place. */
static int ready[2] = { -1, -1 };

extern char **environ;

/* Runs `ip ARGS...` and waits for it; returns 0 if it exited 0, else -1
 * with a message (ip prints its own reason first). */
static int ip(char *const argv[])
{
	pid_t pid;
	int status, rc;

	rc = posix_spawnp(&pid, "ip", NULL, NULL, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "%s: spawn ip: %s\n",
			program_invocation_short_name, strerror(rc));
		return -1;
	}
	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid ip: %s\n",
			program_invocation_short_name, strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: ip %s %s %s failed\n",
			program_invocation_short_name, argv[1], argv[2], argv[3]);
		return -1;
	}
	return 0;
}

/* Runs in the child: wait for the cable, set up its end, then become the
 * command.  Returns only if a step failed. */
static int child_main(void *arg)
{
	char **argv = arg;
	char c;
	int err;

	/* Die with the parent: chapter 0, "When the parent dies". */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		fprintf(stderr, "%s: prctl PR_SET_PDEATHSIG: %s\n",
			program_invocation_short_name, strerror(errno));
		return 1;
	}

	/* Our copy of the write end must go, or a parent that died would
	 * leave us waiting for ever instead of reading end of file. */
	close(ready[1]);
	/* One byte means the cable is there; end of file means the parent
	 * failed or died before it was. */
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "%s: the parent did not set up the cable\n",
			program_invocation_short_name);
		return 1;
	}
	close(ready[0]);
	if (ip((char *[]){ "ip", "link", "set", "lo", "up", NULL }) == -1 ||
	    ip((char *[]){ "ip", "addr", "add", "10.200.0.2/24", "dev",
			   "ceth0", NULL }) == -1 ||
	    ip((char *[]){ "ip", "link", "set", "ceth0", "up", NULL }) == -1)
		return 1;

	execvp(argv[0], argv);
	err = errno;	/* before fprintf(), which may change it */
	fprintf(stderr, "%s: execvp %s: %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* Creates the pair with ceth0 in the namespace of child, and sets up the
 * parent's end; returns 0 or -1.  *made says whether the pair exists. */
static int cable(pid_t child, bool *made)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", child);
	/* "netns PID" moves the peer into the namespace of process PID. */
	*made = ip((char *[]){ "ip", "link", "add", "veth0", "type", "veth",
			       "peer", "name", "ceth0", "netns", pid,
			       NULL }) == 0;
	if (!*made ||
	    ip((char *[]){ "ip", "addr", "add", "10.200.0.1/24", "dev",
			   "veth0", NULL }) == -1 ||
	    ip((char *[]){ "ip", "link", "set", "veth0", "up", NULL }) == -1)
		return -1;
	return 0;
}

/* Removes our end of the pair, and so the pair; returns 0 or -1. */
static int uncable(void)
{
	return ip((char *[]){ "ip", "link", "del", "veth0", NULL });
}

int main(int argc, char *argv[])
{
	int flags = CLONE_NEWNET | SIGCHLD;
	char path[64];
	int status, failed, netns;
	bool made = false;
	pid_t pid;

	/* "+" stops at the first non-option, so the command keeps its own options. */
	if (getopt(argc, argv, "+") != -1 || optind == argc) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n",
			program_invocation_short_name);
		return 2;
	}
	if (pipe(ready) == -1) {
		fprintf(stderr, "%s: pipe: %s\n", program_invocation_short_name,
			strerror(errno));
		return 1;
	}

	/* SIGCHLD in the flags: the child signals us on exit, so waitpid() works. */
	pid = clone(child_main, child_stack + STACK_SIZE, flags, &argv[optind]);
	if (pid == -1) {
		/* Every CLONE_NEW* flag but CLONE_NEWUSER needs CAP_SYS_ADMIN. */
		fprintf(stderr, "%s: clone: %s%s\n", program_invocation_short_name,
			strerror(errno), errno == EPERM ? ": needs root or a user "
			"namespace (try `unshare -r`, or `make lab`)" : "");
		return 1;
	}
	close(ready[0]);
	/*
	 * A namespace lives while a process, a mount or an open file holds
	 * it.  When the child ends, the kernel dismantles its namespace, and
	 * the pair with it, in the background, some milliseconds later: a
	 * second run started at once would find veth0 still there.  So we
	 * hold the namespace open, and remove the pair ourselves once the
	 * child is gone: then it is gone when we exit.
	 */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns == -1) {
		fprintf(stderr, "%s: open `%s`: %s\n",
			program_invocation_short_name, path, strerror(errno));
		kill(pid, SIGKILL);
	}
	/* The child goes on only on our byte: half wired, it gets none. */
	failed = netns == -1 || cable(pid, &made) == -1;
	if (!failed && write(ready[1], "", 1) != 1) {
		fprintf(stderr, "%s: write to the child: %s\n",
			program_invocation_short_name, strerror(errno));
		failed = 1;
	}
	close(ready[1]);

	if (waitpid(pid, &status, 0) == -1) {
		fprintf(stderr, "%s: waitpid %d: %s\n",
			program_invocation_short_name, pid, strerror(errno));
		return 1;
	}
	if (made && uncable() == -1)
		failed = 1;
	if (netns != -1)
		close(netns);
	if (failed)
		return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
