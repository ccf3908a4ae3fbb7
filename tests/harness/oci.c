/*
 * oci.c: drives an OCI runtime the way conmon does, and says what it saw
 * (chapter 11's exercises).
 *
 *     usage: oci RUNTIME [--terminal] [--mounts] [--kill SIGNAL]
 *                [--delete-running] [--force-delete] -- COMMAND [ARG...]
 *
 * Run by the observer (--driver) in the sandbox, with chapter 7's image at
 * /image/busybox.  Writes a bundle in /tmp/oci whose config.json runs
 * COMMAND in the image (with --terminal, on a terminal; with --mounts, with
 * a tmpfs on /tmp, /data bound read-only on /mnt, a tmpfs on /mnt2 and
 * /data bound on /mnt2/data, in that order), then, as a subreaper:
 * `RUNTIME --root /tmp/oci/state create --bundle B --pid-file F
 * [--console-socket S] ID`, the pid file, `state`, `start`, `kill`,
 * `delete`, waiting for the container's process with waitpid(-1) as
 * conmon does, and reports each step on a line of its own, "oci STEP
 * VALUE".  What the runtime and the container print comes after "| ", so
 * that no line of theirs passes for one of these.
 *
 *   oci create exit N          oci pidfile PID | bad TEXT | missing
 *   oci parent self | other    oci before-start runtime | program | gone
 *   oci console fds N          oci console master yes | no
 *   oci state-created STATUS   oci start exit N
 *   oci after-start program | runtime | gone
 *   oci state-running STATUS   oci delete-running exit N said TEXT
 *   oci alive-after yes | no   oci kill exit N
 *   oci force-delete exit N    oci gone yes | no
 *   oci exit N | timeout       oci state-stopped STATUS
 *   oci delete exit N          oci state-dir gone | left
 *   oci unknown exit N said TEXT       oci console-out LINE
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DIR "/tmp/oci"
#define ID "box1"

static const char *runtime;
static int relay = -1;	/* the read end of what the runtime and the container print */
static pid_t container = -1;
static int container_status = -1;

static void die(const char *what)
{
	fprintf(stderr, "oci: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* Prints what the relay holds now, each line after "| ". */
static void drain(void)
{
	static char line[4096];
	static size_t len;
	char c;

	while (read(relay, &c, 1) == 1) {
		if (c == '\n' || len == sizeof(line) - 1) {
			printf("| %.*s\n", (int)len, line);
			len = 0;
		} else {
			line[len++] = c;
		}
	}
	fflush(stdout);
}

/* Reaps what has ended; keeps the container's status when it is one. */
static void reap(bool block)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
		if (pid == container)
			container_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
					   WEXITSTATUS(status);
		if (block)
			return;
	}
}

/* Runs RUNTIME --root DIR/state ARGS, its output into the relay (or into
 * out, size bytes, when out is given); returns its exit status. */
static int call(char *out, size_t size, const char *const args[])
{
	const char *argv[16] = { runtime, "--root", DIR "/state" };
	int p[2], status, n = 3;
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	for (int i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	if (out != NULL && pipe2(p, O_CLOEXEC) == -1)
		die("pipe2");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		int to = out != NULL ? p[1] : 4;	/* the relay */

		if (dup2(to, 1) == -1 || dup2(to, 2) == -1)
			_exit(126);
		execv(runtime, (char **)argv);
		_exit(127);
	}
	if (out != NULL) {
		close(p[1]);
		while (len + 1 < size && (got = read(p[0], out + len, size - len - 1)) > 0)
			len += (size_t)got;
		out[len] = '\0';
		close(p[0]);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			die("waitpid");
	drain();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* What the container's status is, as `RUNTIME state ID` says it. */
static const char *state_of(void)
{
	static char out[4096], status[32];
	char *at;

	if (call(out, sizeof(out), (const char *const[]){ "state", ID, NULL }) != 0)
		return "(refused)";
	at = strstr(out, "\"status\"");
	if (at == NULL || sscanf(at, "\"status\" : \"%31[a-z]\"", status) != 1)
		if (at == NULL || sscanf(at, "\"status\": \"%31[a-z]\"", status) != 1)
			return "(none)";
	return status;
}

/* "runtime" while the container's process still runs the runtime's file,
 * "program" once it has exec'd, "gone" without one. */
static const char *running_file(void)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/exe", container);
	if (container <= 0 || stat(path, &a) == -1 || stat(runtime, &b) == -1)
		return "gone";
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? "runtime" : "program";
}

/* Writes s as a JSON string. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	fputc('"', f);
}

static void write_bundle(char *const command[], bool terminal, bool mounts)
{
	FILE *f;

	if (mkdir(DIR, 0755) == -1 || mkdir(DIR "/bundle", 0755) == -1 ||
	    symlink("/image/busybox", DIR "/bundle/rootfs") == -1)
		die("make the bundle");
	if ((f = fopen(DIR "/bundle/config.json", "we")) == NULL)
		die("write config.json");
	fprintf(f, "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},\n"
		" \"hostname\": \"box\",\n \"process\": {\"terminal\": %s, \"cwd\": \"/\",\n"
		"  \"env\": [\"PATH=/bin\", \"TERM=dumb\"], \"args\": [", terminal ? "true" : "false");
	for (int i = 0; command[i] != NULL; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, command[i]);
	}
	fputs("]},\n \"mounts\": [\n"
	      "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	      "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
	      " \"options\": [\"nosuid\", \"mode=755\"]},\n"
	      "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
	      " \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\","
	      " \"mode=0620\"]}", f);
	if (mounts)
		fputs(",\n  {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
		      " \"options\": [\"nosuid\", \"nodev\", \"size=1m\", \"mode=1777\"]},\n"
		      "  {\"destination\": \"/mnt\", \"type\": \"bind\", \"source\": \"/data\","
		      " \"options\": [\"rbind\", \"ro\"]},\n"
		      "  {\"destination\": \"/mnt2\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},\n"
		      "  {\"destination\": \"/mnt2/data\", \"type\": \"bind\", \"source\": \"/data\","
		      " \"options\": [\"bind\"]}", f);
	fputs("\n ],\n \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"},"
	      " {\"type\": \"uts\"}, {\"type\": \"ipc\"}]}}\n", f);
	if (fclose(f) == EOF)
		die("write config.json");
}

/* Waits up to ms for the console socket's one connection and its message;
 * returns the descriptor it carried, or -1. */
static int take_console(int listener, int ms)
{
	char control[CMSG_SPACE(sizeof(int) * 4)], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct pollfd p = { .fd = listener, .events = POLLIN };
	struct cmsghdr *cmsg;
	int conn, fd = -1, fds = 0;

	if (poll(&p, 1, ms) != 1 || (conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		printf("oci console fds 0\n");
		return -1;
	}
	p.fd = conn;
	if (poll(&p, 1, ms) == 1 && recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) >= 0)
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg))
			if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
				fds += (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
			}
	close(conn);
	printf("oci console fds %d\n", fds);
	return fd;
}

int main(int argc, char *argv[])
{
	bool terminal = false, mounts = false, delete_running = false, force = false;
	const char *kill_sig = NULL;
	char text[64] = "", said[512];
	int p[2], i, listener = -1, console = -1, n, tty;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (argc < 2)
		return 2;
	runtime = argv[1];
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--terminal") == 0) terminal = true;
		else if (strcmp(argv[i], "--mounts") == 0) mounts = true;
		else if (strcmp(argv[i], "--delete-running") == 0) delete_running = true;
		else if (strcmp(argv[i], "--force-delete") == 0) force = true;
		else if (strcmp(argv[i], "--kill") == 0 && i + 1 < argc) kill_sig = argv[++i];
		else return 2;
	}
	if (i + 1 >= argc)
		return 2;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		die("prctl PR_SET_CHILD_SUBREAPER");
	write_bundle(argv + i + 1, terminal, mounts);
	/* The relay, on fd 4 in the runtime: conmon's pipes. */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1 || dup2(p[1], 4) == -1)
		die("pipe2");
	close(p[1]);
	relay = p[0];
	if (terminal) {
		snprintf(addr.sun_path, sizeof(addr.sun_path), DIR "/console.sock");
		listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (listener == -1 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
		    listen(listener, 1) == -1)
			die("the console socket");
	}

	n = call(NULL, 0, terminal ?
		 (const char *const[]){ "create", "--bundle", DIR "/bundle", "--pid-file",
					DIR "/pid", "--console-socket", DIR "/console.sock",
					ID, NULL } :
		 (const char *const[]){ "create", "--bundle", DIR "/bundle", "--pid-file",
					DIR "/pid", ID, NULL });
	printf("oci create exit %d\n", n);
	if (terminal) {
		console = take_console(listener, 1000);
		printf("oci console master %s\n", console != -1 &&
		       ioctl(console, TIOCGPTN, &tty) == 0 ? "yes" : "no");
	}
	FILE *f = fopen(DIR "/pid", "re");
	if (f == NULL) {
		printf("oci pidfile missing\n");
	} else {
		size_t len = fread(text, 1, sizeof(text) - 1, f);

		text[len] = '\0';
		fclose(f);
		if (len > 0 && strspn(text, "0123456789") == len && (container = atoi(text)) > 0)
			printf("oci pidfile %d\n", container);
		else
			printf("oci pidfile bad %s\n", text);
	}
	if (container > 0) {
		char path[64], line[1024], *end;
		int ppid = 0;

		snprintf(path, sizeof(path), "/proc/%d/stat", container);
		f = fopen(path, "re");
		if (f != NULL && fgets(line, sizeof(line), f) != NULL &&
		    (end = strrchr(line, ')')) != NULL)
			sscanf(end + 1, " %*c %d", &ppid);
		if (f != NULL)
			fclose(f);
		printf("oci parent %s\n", ppid == getpid() ? "self" : "other");
		/* A process that does not wait runs its program within this. */
		sleep_ms(300);
		printf("oci before-start %s\n", running_file());
	}
	printf("oci state-created %s\n", state_of());
	printf("oci start exit %d\n", call(NULL, 0, (const char *const[]){ "start", ID, NULL }));
	for (int t = 0; t < 50 && strcmp(running_file(), "runtime") == 0; t++)
		sleep_ms(10);
	printf("oci after-start %s\n", running_file());
	printf("oci state-running %s\n", state_of());
	if (delete_running) {
		n = call(said, sizeof(said), (const char *const[]){ "delete", ID, NULL });
		said[strcspn(said, "\n")] = '\0';
		printf("oci delete-running exit %d said %s\n", n, said);
		printf("oci alive-after %s\n", strcmp(running_file(), "gone") ? "yes" : "no");
	}
	if (kill_sig != NULL) {
		sleep_ms(100);	/* the program's handlers, set */
		printf("oci kill exit %d\n",
		       call(NULL, 0, (const char *const[]){ "kill", ID, kill_sig, NULL }));
	}
	if (force) {
		printf("oci force-delete exit %d\n",
		       call(NULL, 0, (const char *const[]){ "delete", "--force", ID, NULL }));
		reap(false);
		printf("oci gone %s\n", container_status != -1 ? "yes" : "no");
	} else {
		alarm(3);
		for (int t = 0; t < 300 && container_status == -1; t++) {
			reap(false);
			drain();
			sleep_ms(10);
		}
		alarm(0);
		if (container_status == -1)
			printf("oci exit timeout\n");
		else
			printf("oci exit %d\n", container_status);
		printf("oci state-stopped %s\n", state_of());
		printf("oci delete exit %d\n",
		       call(NULL, 0, (const char *const[]){ "delete", ID, NULL }));
	}
	printf("oci state-dir %s\n", access(DIR "/state/" ID, F_OK) == 0 ? "left" : "gone");
	n = call(said, sizeof(said), (const char *const[]){ "state", "nosuch", NULL });
	said[strcspn(said, "\n")] = '\0';
	printf("oci unknown exit %d said %s\n", n, said);
	if (console != -1) {
		char buf[4096];
		ssize_t got;
		size_t len = 0;

		fcntl(console, F_SETFL, O_NONBLOCK);
		while (len + 1 < sizeof(buf) && (got = read(console, buf + len, sizeof(buf) - len - 1)) > 0)
			len += (size_t)got;
		buf[len] = '\0';
		for (char *save = NULL, *l = strtok_r(buf, "\r\n", &save); l != NULL;
		     l = strtok_r(NULL, "\r\n", &save))
			printf("oci console-out %s\n", l);
	}
	drain();
	return 0;
}
