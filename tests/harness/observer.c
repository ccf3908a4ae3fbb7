/*
 * observer.c: the sandbox's own witness, run as its first process.
 *
 *     usage: observer [LIMIT...] [SCENE...] -- PROGRAM [ARG...]
 *
 * Prepares what a chapter's tests need to see from the outside, runs the
 * program under test within limits, and reports the sandbox's state around
 * it.  It runs as PID 1 of the sandbox (bwrap --as-pid-1): a signal sent to
 * -1 from inside does not reach it, and every process the program leaves
 * behind comes to it (watch.h).  The limits:
 *
 *   --nproc N   let the sandbox hold at most N processes (RLIMIT_NPROC),
 *               and stop the program as soon as they are nearly all in use
 *   --memory BYTES      give each process of the program at most BYTES of
 *               address space (RLIMIT_AS)
 *   --time-limit MS     stop the program and everything it started after
 *               MS milliseconds
 *   --files BYTES       let each of the sandbox's tmpfs (/, /dev, /tmp) hold
 *               at most BYTES
 *   --time-scale N      wait N times longer wherever a scene waits for the
 *               program (tests/harness/sandbox.c: WORKBOOK_TIME_SCALE)
 *   --cgroup NAME:TYPE:OPTIONS  the sandbox has a cgroup of its own
 *               (cgbox.h): mount this hierarchy of it at /sys/fs/cgroup/NAME
 *               (NAME "." for /sys/fs/cgroup), and keep the sandbox's own
 *               processes in its leaves (cgview.h); one option a hierarchy
 *
 * The scenes:
 *
 *   --veth      create the interface pair veth-host / veth-peer
 *   --link NAME create an interface (a bridge) called NAME
 *   --msgq      create a System V message queue with key 0x0b5e0001
 *   --rshared   make every mount shared, the way systemd boots a machine,
 *               so that a mount that leaks out of the program is seen
 *   --data DIR  make DIR holding a file "hello", and a tmpfs mounted on
 *               DIR/sub holding one too; once the program has ended, report
 *               whether DIR and DIR/sub can still be written to
 *   --check-file PATH   once the program has ended, report whether PATH
 *               exists (up to 8 of them)
 *   --mqueue    mount an mqueue file system on /dev/mqueue and create the
 *               POSIX message queue "/observer" in it
 *   --signal TERM|INT   once the probe has reported, send the signal to the
 *               program and wait up to 1 s for it to end
 *   --drop-caps start the program without capabilities, as a plain user
 *               would (the sandbox's uid 0 stays, its power goes); all but
 *               CAP_SETFCAP, which Linux 5.12 and later ask of whoever maps
 *               uid 0 of the parent into a user namespace, as a plain user
 *               mapping their own uid here must
 *   --ro-root   make / read-only before the program starts
 *   --mask-proc make /proc/sys read-only, as container engines do; to a
 *               user namespace made after, /proc is then partly covered, and
 *               the kernel refuses it a proc of its own
 *   --userns    start the program as root of a user namespace of its own,
 *               as `unshare --user --map-root-user` would
 *   --no-stderr start the program with its stderr closed, as `2>&-` does
 *   --image DIR make DIR an image, as tools/image.sh does but smaller
 *               (image.h), with a file "marker" beside it; report the
 *               image before and after, and, during, the mounts of the
 *               probe's mount namespace seen from its root
 *   --image-lacks NAME  leave the top folder NAME ("proc") out of the image
 *   --unreadable DIR    make DIR (its parent must exist, as the image
 *               does), a folder the program may not enter: mode
 *               000, and the program starts without CAP_DAC_OVERRIDE and
 *               CAP_DAC_READ_SEARCH, as a user who does not own it
 *   --twin      start the program twice, with the same arguments, the
 *               second (the twin) just before the first and with its stdin
 *               at end of file; wait for both
 *   --deny CALL make the system call CALL fail with EPERM for the program
 *               and all it starts (up to 8 of them; scene.h)
 *   --slow-ip MS        wrap ip(8): log every call, and make `ip link add`
 *               wait MS ms first; "== during" holds the log as it was when
 *               the probe reported, "== after" all of it (scene.h)
 *   --trace-cgroup      as --trace-open, for the files that move a process
 *               into a cgroup or limit one (cgroup.procs, memory.max, the
 *               other limits, their v1 twins), with every execve(2) in the
 *               same log, "exec PID PATH", in order; the first limit
 *               written waits 500 ms (scene.h)
 *   --trace-open        watch which files the program and all it starts
 *               open: "open PID PATH read|write" in "== during" (so far)
 *               and "== after" (all), for each whose name ends in
 *               /uid_map, /gid_map or /setgroups, in order (scene.h)
 *   --trace-powers      watch the calls the program and all it starts make
 *               to change what they may do: "power PID CALL ARG..." in
 *               "== during" (so far) and "== after" (all), for the
 *               prctl(2) options no_new_privs, capbset_drop, ambient,
 *               set_seccomp, keepcaps and securebits, seccomp(2) loading a
 *               filter ("power PID seccomp 1 sys_admin 0|1": whether the
 *               caller had CAP_SYS_ADMIN then), capset(2), setgroups(2),
 *               the set*id(2) calls and execve(2) with its path (scene.h)
 *   --setuid-probe      put a copy of the probe in the image (--image), at
 *               box/setuid-probe, set-user-ID and owned by the sandbox's
 *               root
 *   --hold-netns        keep the probe's network namespace alive from the
 *               probe's report until "== after" is taken, so that what the
 *               program leaves in it is still there to be seen
 *   --serve PORT        answer TCP connections on PORT, on every address of
 *               the sandbox, with "echo " and the line each says, while the
 *               program runs (talk.h)
 *   --reach ADDR        once the probe has reported, ping ADDR from the
 *               sandbox: "reach ADDR done" or "reach ADDR failed: REASON"
 *               in "== during"
 *   --lan       make a small network that has settled: lan0 and lan1, a
 *               veth pair, up, lan0 with 192.0.2.1/24 and 2001:db8::1/64,
 *               lan1 with 192.0.2.2/24, no link-local addresses; and a
 *               bridge lan-br, down (scene.h)
 *   --driver    the program's first argument (a tool, /box/NAME) is
 *               run in its place, with the program's path as its own
 *               first argument: `--driver -- PROGRAM TOOL ARG...` runs
 *               `TOOL PROGRAM ARG...` (chapter 11's tool oci drives a
 *               runtime as conmon does)
 *   --cpu-window MS     once the probe has reported, measure the CPU time
 *               its cgroup uses for MS milliseconds ("cpuwindow" and
 *               "cpuquota" in "== during", cgview.h)
 *   --fork-outside      once the probe has reported, fork a process from
 *               here: "outside fork done" or "outside fork failed: REASON"
 *   --early-signal TERM|INT     before the run, start the program a few
 *               times with the probe holding, and send it the signal while
 *               its command is held at the door of execve(2); "early SIG
 *               TRIALS lost 0|1 killed 0|1" in "== before" (scene.h)
 *
 * Output: "== before" and its view (report.h), then "== output" and the
 * program's own output (the probe prints "== inside" ... "== end inside";
 * any other line of the program's that starts "== " is marked "| == ", so
 * that only the observer's sections start so), "== during" with the probe's
 * processes ("probe PID": those that run /box/probe's file) and every
 * process the program started, taken once the probe has printed its report,
 * then "== output" again; "== leftover" and "task PID COMM" for each process
 * still running once the program has ended (all are then killed), "== after"
 * with the view once the program has ended, a line for each limit reached
 * ("== limit time MS", "== limit processes PEAK", "== limit memory
 * PEAK_KIB"), "== outlived" if the program ended by itself while the probe
 * still ran, and "== status exit N" or "== status signal N".  "== during" also holds the sandbox's interfaces,
 * addresses and routes (report_net), which of them are ports of a bridge,
 * "port NAME BRIDGE" (as "== before" and "== after" do), what --reach saw,
 * and what --signal saw: "signal SIG stopped MS"
 * (it ended MS ms after) then "signal SIG orphans N" (the tasks still
 * there 300 ms later), or "signal SIG running" (still there after 1 s).
 * "== after" ends with "data DIR writable" or "data DIR unwritable: REASON"
 * and "file PATH present|absent", then "peakrss KIB", the largest resident
 * size of any process the program started.  With a cgroup (--cgroup), "== before"
 * and "== after" start with the layout and every folder of the sandbox's
 * cgroup ("cglayout", "cgroup"), "== during" holds the probe's folders and
 * their files ("probecg", "cgfile"), and "== after" says whether the
 * sandbox's own memory limit was reached ("boxmemory").  With --image, "== before" and "== after"
 * end with the image's device, inode and sum ("image DIR MAJOR:MINOR
 * INODE", "image DIR sum HEX"), and "== during" holds "nsmount PID TARGET
 * FSTYPE PROPAGATION" for each probe.  With --twin, "== twin" follows the
 * program's last output, with the twin's, every line of it marked "| ",
 * and "twin status exit N" or "twin status signal N" when it ended.  The
 * program's stderr is left alone.
 *
 * Exit status: 0 when it observed the program to the end; 1 when it could not
 * prepare the scene or start the program (the reason is on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgview.h"
#include "die.h"
#include "image.h"
#include "powers.h"
#include "links.h"
#include "report.h"
#include "scene.h"
#include "talk.h"
#include "watch.h"

#define OBSERVER_MSGQ_KEY 0x0b5e0001
#define PROBE "/box/probe"	/* where tests/harness/sandbox.c puts the probe */

extern char **environ;

static struct limits limits;	/* --nproc, --memory, --time-limit */
static int program_stdin = -1;	/* closed once the probe has reported */
static bool probe_holds;	/* the probe was given --hold */

/* What the exercises' scenes ask for, besides the chapters' options. */
static struct {
	const char *data;		/* --data DIR */
	const char *files[8];		/* --check-file PATH... */
	int nfiles;
	int mqueue;			/* --mqueue */
	int signal;			/* --signal: SIGTERM or SIGINT, else 0 */
	int drop_caps;			/* --drop-caps */
	int ro_root;			/* --ro-root */
	int mask_proc;			/* --mask-proc */
	int userns;			/* --userns */
	int no_stderr;			/* --no-stderr */
	const char *image;		/* --image DIR */
	const char *image_lacks;	/* --image-lacks NAME */
	const char *unreadable;		/* --unreadable DIR */
	int twin;			/* --twin */
	const char *deny[9];		/* --deny CALL..., NULL-terminated */
	int ndeny;
	long slow_ip;			/* --slow-ip MS, else 0 */
	int hold_netns;			/* --hold-netns */
	int trace_open;			/* --trace-open */
	int trace_powers;		/* --trace-powers */
	int setuid_probe;		/* --setuid-probe */
	pid_t tracer;			/* its process, else 0 */
	int trace_sock;			/* the program's end of its socket */
	int netns_fd;			/* the probe's, while held; else -1 */
	int serve;			/* --serve PORT, else 0 */
	pid_t server;			/* its process, else 0 */
	const char *reach;		/* --reach ADDR, else NULL */
	int lan;			/* --lan */
	int early;			/* --early-signal: SIGTERM or SIGINT */
	long cpu_window;		/* --cpu-window MS, else 0 */
	int fork_outside;		/* --fork-outside */
	int reaped, status;		/* the program ended while signalled */
} extra;

/* The twin of --twin: its stdout, and what it printed there. */
static struct {
	pid_t pid;
	int out;
	char *text;
	size_t len, kept;	/* the memory stream's size; what we kept */
	FILE *buf;
} twin = { .out = -1 };

/* Makes the image, extra.data holding a file "hello", the unreadable
 * folder and the mqueue scene; dies if it cannot. */
static void prepare_extra(void)
{
	char path[4096];
	FILE *f;

	/* The image first: the other folders may be made beside it. */
	if (extra.image != NULL)
		image_make(extra.image, extra.image_lacks);
	if (extra.image != NULL && extra.setuid_probe)
		image_add_setuid_probe(extra.image);
	if (extra.data != NULL) {
		if (mkdir(extra.data, 0755) == -1 && errno != EEXIST)
			die("mkdir %s", extra.data);
		snprintf(path, sizeof(path), "%s/hello", extra.data);
		f = fopen(path, "we");
		if (f == NULL || fputs("hello from outside\n", f) == EOF ||
		    fclose(f) == EOF)
			die("write %s", path);
		/* A mount inside the data, as a volume often holds. */
		snprintf(path, sizeof(path), "%s/sub", extra.data);
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			die("mkdir %s", path);
		if (mount("tmpfs", path, "tmpfs", 0, "size=1m,mode=0755") == -1)
			die("mount tmpfs on %s", path);
		snprintf(path, sizeof(path), "%s/sub/hello", extra.data);
		f = fopen(path, "we");
		if (f == NULL || fputs("hello from a submount\n", f) == EOF ||
		    fclose(f) == EOF)
			die("write %s", path);
	}
	if (extra.mqueue) {
		mqd_t q;

		if (mkdir("/dev/mqueue", 0755) == -1 && errno != EEXIST)
			die("mkdir /dev/mqueue");
		if (mount("mqueue", "/dev/mqueue", "mqueue", 0, NULL) == -1)
			die("mount mqueue on /dev/mqueue");
		q = mq_open("/observer", O_CREAT | O_RDWR, 0600, NULL);
		if (q == (mqd_t)-1 || mq_close(q) == -1)
			die("mq_open /observer");
	}
	if (extra.unreadable != NULL &&
	    (mkdir(extra.unreadable, 0) == -1 || chmod(extra.unreadable, 0) == -1))
		die("mkdir %s mode 000", extra.unreadable);
}

/* In the program's process, before it starts: gives up the capabilities
 * in the mask drop (bit N: capability N), for good (the bounding set too, or
 * exec as uid 0 would restore them). */
static void drop_caps(uint64_t drop)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];

	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if ((drop >> cap & 1) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
			die("prctl PR_CAPBSET_DROP %d", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		die("prctl PR_CAP_AMBIENT_CLEAR_ALL");
	if (syscall(SYS_capget, &head, caps) == -1)
		die("capget");
	for (int i = 0; i < 2; i++) {
		uint32_t keep = ~(uint32_t)(drop >> (32 * i));

		caps[i].effective &= keep;
		caps[i].permitted &= keep;
		caps[i].inheritable &= keep;
	}
	if (syscall(SYS_capset, &head, caps) == -1)
		die("capset");
}

/* Writes text to the file at path; dies if it cannot. */
static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, strlen(text)) == -1 || close(fd) == -1)
		die("write %s", path);
}

/* In the program's process, before it starts: becomes root of a new user
 * namespace that maps only the sandbox's uid and gid 0. */
static void enter_userns(void)
{
	if (unshare(CLONE_NEWUSER) == -1)
		die("unshare CLONE_NEWUSER");
	write_file("/proc/self/setgroups", "deny");
	write_file("/proc/self/uid_map", "0 0 1");
	write_file("/proc/self/gid_map", "0 0 1");
}

/* Sends extra.signal to the program and waits up to 1 s for it to end;
 * prints what it saw and keeps the status for relay().  Once it has ended,
 * gives what it started 300 ms to follow, and prints how many tasks are
 * still there: a program that dies must take its command with it. */
static void signal_program(struct watch *w)
{
	pid_t pid = w->pid;
	const char *name = extra.signal == SIGTERM ? "TERM" : "INT";
	int ms;

	if (kill(pid, extra.signal) == -1)
		die("kill %d SIG%s", pid, name);
	for (ms = 0; ms <= 1000; ms += 5) {
		pid_t done = waitpid(pid, &extra.status, WNOHANG);

		if (done == -1)
			die("waitpid %d", pid);
		if (done == pid) {
			extra.reaped = 1;
			printf("signal %s stopped %d\n", name, ms);
			printf("signal %s orphans %ld\n", name,
			       watch_settle(w, 300));
			return;
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	printf("signal %s running\n", name);
}

/* Prints "data DIR writable", or "data DIR unwritable: REASON", as a file
 * can or cannot be created in dir now. */
static void report_writable(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/after", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		printf("data %s unwritable: %s\n", dir, strerror(errno));
		return;
	}
	printf("data %s writable\n", dir);
	close(fd);
}

/* Prints, in "== after", whether the data folder and its submount are
 * still writable and which of the files to check exist. */
static void report_extra(void)
{
	char sub[4096];

	if (extra.data != NULL) {
		report_writable(extra.data);
		snprintf(sub, sizeof(sub), "%s/sub", extra.data);
		report_writable(sub);
	}
	for (int i = 0; i < extra.nfiles; i++)
		printf("file %s %s\n", extra.files[i],
		       access(extra.files[i], F_OK) == 0 ? "present" : "absent");
}

/* Keeps the probe's network namespace open, so that the kernel does not
 * dismantle it (and what the program left in it) before "== after". */
static void hold_netns(void)
{
	char path[64];
	pid_t probe = watch_probe();

	if (probe == 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", probe);
	extra.netns_fd = open(path, O_RDONLY | O_CLOEXEC);
}

/* Starts a process that answers every connection on port (talk.h) until
 * it is killed; returns its pid.  Dies if it cannot listen. */
static pid_t start_server(int port)
{
	char line[256];
	int sock = talk_listen(port);
	pid_t pid;

	if (sock == -1)
		die("listen on port %d", port);
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		die("fork");
	if (pid == 0) {
		for (;;)
			talk_answer(sock, -1, line, sizeof(line));
	}
	close(sock);
	return pid;
}

/* Prints "reach ADDR done", or "reach ADDR failed: REASON", as a ping from
 * the sandbox's namespace to addr is answered or not. */
static void report_reach(const char *addr)
{
	if (talk_ping(addr) == 0)
		printf("reach %s done\n", addr);
	else
		printf("reach %s failed: %s\n", addr, strerror(errno));
}

/* Runs a helper command to completion; dies unless it exits 0. */
static void run(char *const argv[])
{
	pid_t pid;
	int status, rc;

	rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc != 0) {
		errno = rc;
		die("spawn %s", argv[0]);
	}
	if (waitpid(pid, &status, 0) == -1)
		die("waitpid %s", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die_msg("%s failed", argv[0]);
}

/* Starts argv with stdin and stdout connected to pipes; returns its pid and
 * stores our ends of the pipes in *to_stdin and *from_stdout. */
static pid_t start(char *argv[], int *to_stdin, int *from_stdout)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		die("pipe2");
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		die("fork");
	if (pid == 0) {
		if (dup2(in[0], STDIN_FILENO) == -1 ||
		    dup2(out[1], STDOUT_FILENO) == -1)
			die("dup2");
		if (cgview_on())
			cgview_enter_program();
		watch_limit_program(&limits);
		/* Filters before the capabilities go: without no_new_privs,
		 * loading one takes CAP_SYS_ADMIN. */
		if (extra.ndeny > 0)
			scene_deny(extra.deny);
		if (extra.tracer != 0)
			scene_trace_program(extra.trace_sock, extra.trace_open,
					    extra.trace_powers);
		if (extra.drop_caps)
			drop_caps(~(1ULL << CAP_SETFCAP));
		if (extra.unreadable != NULL)
			drop_caps(1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_DAC_READ_SEARCH);
		if (extra.userns)
			enter_userns();
		if (extra.no_stderr && close(STDERR_FILENO) == -1)
			die("close stderr");
		execv(argv[0], argv);
		die("execv %s", argv[0]);
	}
	close(in[0]);
	close(out[1]);
	if (extra.tracer != 0)
		close(extra.trace_sock);
	*to_stdin = in[1];
	*from_stdout = out[0];
	return pid;
}

/* Passes a line of the program's output on, marking one that would pass for
 * a section of ours.  Once the probe says "== end inside", reports the
 * probe and the running processes, and closes the program's stdin, which
 * lets a holding probe exit. */
static void relay_line(struct watch *w, char *line)
{
	static const char marker[] = "== end inside\n";

	if (strncmp(line, "== ", 3) == 0 && strcmp(line, marker) != 0 &&
	    strcmp(line, "== inside\n") != 0)
		fputs("| ", stdout);
	fputs(line, stdout);
	if (program_stdin == -1 || strcmp(line, marker) != 0)
		return;
	/* A program that has ended while a holding probe reported did not
	 * wait for it (a zombie not yet reaped has ended too).  A probe that
	 * does not hold may end, and its program after it, before we read
	 * its report. */
	if (probe_holds && !w->outlived) {
		siginfo_t info = { 0 };

		w->outlived = w->ended ||
			      (waitid(P_PID, w->pid, &info,
				      WEXITED | WNOHANG | WNOWAIT) == 0 &&
			       info.si_pid == w->pid);
	}
	printf("== during\n");
	printf("program %d\n", w->pid);
	watch_report_probes(stdout);
	if (watch_probe() != 0)
		powers_report_status(stdout, watch_probe());
	if (extra.image != NULL)
		watch_report_probe_mounts(stdout);
	report_tasks(stdout, w->pid);
	report_net(stdout);
	report_ports(stdout);
	if (watch_probe() != 0)
		cgview_report_probe(stdout, watch_probe(), extra.fork_outside);
	if (extra.cpu_window > 0 && watch_probe() != 0)
		cgview_cpu_window(stdout, watch_probe(), extra.cpu_window);
	if (extra.reach != NULL)
		report_reach(extra.reach);
	scene_report_ip(stdout);
	scene_report_trace(stdout);
	if (extra.hold_netns)
		hold_netns();
	if (extra.signal != 0)
		signal_program(w);
	if (extra.reaped)
		watch_ended(w, extra.status);
	printf("== output\n");
	fflush(stdout);
	close(program_stdin);
	program_stdin = -1;
}

/* Reads what the twin printed, until it has ended and closed its stdout or
 * until (ms on the monotonic clock); what it printed so far is kept. */
static void collect_twin(struct watch *w, long long until)
{
	char chunk[4096];
	ssize_t got = 1;

	while (got != 0 && watch_now() < until) {
		struct pollfd p = { twin.out, POLLIN, 0 };

		watch_reap(w);
		if (poll(&p, 1, 10) == -1 && errno != EINTR)
			die("poll");
		if (p.revents == 0)
			continue;
		got = read(twin.out, chunk, sizeof(chunk));
		if (got > 0 && twin.kept < 1 << 20)
			twin.kept += fwrite(chunk, 1, (size_t)got, twin.buf);
		if (got == -1 && errno != EINTR)
			got = 0;
	}
	while (!w->twin_ended && watch_now() < until) {
		watch_reap(w);
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
}

/* Prints "== twin", what the twin printed, each line marked "| ", and how
 * it ended. */
static void report_twin(const struct watch *w)
{
	char *save = NULL, *line;

	fflush(twin.buf);
	printf("== twin\n");
	for (line = strtok_r(twin.text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		printf("| %s\n", line);
	if (w->twin_ended && WIFSIGNALED(w->twin_status))
		printf("twin status signal %d\n", WTERMSIG(w->twin_status));
	else if (w->twin_ended)
		printf("twin status exit %d\n", WEXITSTATUS(w->twin_status));
}

/* Runs the program to its end or its time limit, relaying its output; then
 * reports what it left running, and kills that and everything else.
 * Returns what it saw. */
static struct watch relay(pid_t pid, int from_stdout)
{
	struct watch w = { .pid = pid, .twin = twin.pid, .on_line = relay_line };
	long long until = watch_now() + limits.time_ms;
	char *leftovers = NULL;
	size_t size = 0;
	FILE *list;

	watch_run(&w, from_stdout, &limits);
	/* The tracer and the server would count as processes the program
	 * left. */
	if (extra.tracer != 0) {
		kill(extra.tracer, SIGKILL);
		waitpid(extra.tracer, NULL, 0);
	}
	if (extra.server != 0) {
		kill(extra.server, SIGKILL);
		waitpid(extra.server, NULL, 0);
	}
	if (twin.pid > 0)
		collect_twin(&w, limits.time_ms > 0 ? until : LLONG_MAX);
	if (!w.timed_out && !w.nproc_reached) {
		list = open_memstream(&leftovers, &size);
		if (list == NULL)
			die("open_memstream");
		if (watch_report_leftovers(list, &w) > 0) {
			fclose(list);
			printf("== leftover\n%s", leftovers);
		} else {
			fclose(list);
		}
		free(leftovers);
	}
	watch_end_all(&w);
	close(from_stdout);
	if (program_stdin != -1)
		close(program_stdin);
	if (twin.pid > 0)
		report_twin(&w);
	return w;
}

/* Prints a line for each limit the run reached.  A program whose malloc()
 * failed at the address-space limit has grown close to it; with a cgroup,
 * the sandbox's memory limit says itself whether it was reached. */
static void report_limits(const struct watch *w, bool memory_reached)
{
	long peak_kib = watch_peak_rss_kib();

	if (w->timed_out)
		printf("== limit time %ld\n", limits.time_ms);
	if (w->nproc_reached)
		printf("== limit processes %ld\n", w->peak_tasks);
	if ((limits.memory > 0 && peak_kib >= limits.memory / 2048) ||
	    memory_reached)
		printf("== limit memory %ld%s\n", peak_kib,
		       memory_reached ? " cgroup" : "");
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "veth", no_argument, NULL, 'v' },
		{ "link", required_argument, NULL, 'l' },
		{ "msgq", no_argument, NULL, 'q' },
		{ "rshared", no_argument, NULL, 'r' },
		{ "nproc", required_argument, NULL, 'n' },
		{ "memory", required_argument, NULL, 'm' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "files", required_argument, NULL, 'f' },
		{ "data", required_argument, NULL, 'D' },
		{ "check-file", required_argument, NULL, 'F' },
		{ "mqueue", no_argument, NULL, 'Q' },
		{ "signal", required_argument, NULL, 'S' },
		{ "drop-caps", no_argument, NULL, 'C' },
		{ "ro-root", no_argument, NULL, 'R' },
		{ "mask-proc", no_argument, NULL, 'M' },
		{ "userns", no_argument, NULL, 'U' },
		{ "no-stderr", no_argument, NULL, 'E' },
		{ "image", required_argument, NULL, 'I' },
		{ "image-lacks", required_argument, NULL, 'L' },
		{ "unreadable", required_argument, NULL, 'N' },
		{ "twin", no_argument, NULL, 'W' },
		{ "deny", required_argument, NULL, 'd' },
		{ "slow-ip", required_argument, NULL, 'i' },
		{ "hold-netns", no_argument, NULL, 'H' },
		{ "trace-open", no_argument, NULL, 'T' },
		{ "trace-cgroup", no_argument, NULL, 'G' },
		{ "trace-powers", no_argument, NULL, 'P' },
		{ "setuid-probe", no_argument, NULL, 'X' },
		{ "early-signal", required_argument, NULL, 'e' },
		{ "time-scale", required_argument, NULL, 'x' },
		{ "serve", required_argument, NULL, 's' },
		{ "reach", required_argument, NULL, 'a' },
		{ "lan", no_argument, NULL, 'w' },
		{ "driver", no_argument, NULL, 'Z' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "cpu-window", required_argument, NULL, 'c' },
		{ "fork-outside", no_argument, NULL, 'o' },
		{ 0 },
	};
	static char *veth[] = { "ip", "link", "add", "veth-host", "type",
				"veth", "peer", "name", "veth-peer", NULL };
	char *bridge[] = { "ip", "link", "add", NULL, "type", "bridge", NULL };
	int want_veth = 0, want_msgq = 0, want_rshared = 0, driver = 0, opt;
	bool memory_reached = false;
	int from_stdout;
	struct watch w;
	pid_t pid;

	extra.netns_fd = -1;
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (opt) {
		case 'v': want_veth = 1; break;
		case 'l': bridge[3] = optarg; break;
		case 'q': want_msgq = 1; break;
		case 'r': want_rshared = 1; break;
		case 'n': limits.nproc = atol(optarg); break;
		case 'm': limits.memory = atol(optarg); break;
		case 't': limits.time_ms = atol(optarg); break;
		case 'f': limits.files = atol(optarg); break;
		case 'D': extra.data = optarg; break;
		case 'F':
			if (extra.nfiles < 8)
				extra.files[extra.nfiles++] = optarg;
			break;
		case 'Q': extra.mqueue = 1; break;
		case 'S':
			extra.signal = strcmp(optarg, "INT") == 0 ? SIGINT : SIGTERM;
			break;
		case 'C': extra.drop_caps = 1; break;
		case 'R': extra.ro_root = 1; break;
		case 'M': extra.mask_proc = 1; break;
		case 'U': extra.userns = 1; break;
		case 'E': extra.no_stderr = 1; break;
		case 'I': extra.image = optarg; break;
		case 'L': extra.image_lacks = optarg; break;
		case 'N': extra.unreadable = optarg; break;
		case 'W': extra.twin = 1; break;
		case 'd':
			if (extra.ndeny < 8)
				extra.deny[extra.ndeny++] = optarg;
			break;
		case 'i': extra.slow_ip = atol(optarg); break;
		case 'H': extra.hold_netns = 1; break;
		case 'T': extra.trace_open = 1; break;
		case 'G':
			extra.trace_open = 1;
			scene_trace_cgroups();
			break;
		case 'P': extra.trace_powers = 1; break;
		case 'X': extra.setuid_probe = 1; break;
		case 'e':
			extra.early = strcmp(optarg, "INT") == 0 ? SIGINT : SIGTERM;
			break;
		case 'x': limits.scale = atol(optarg); break;
		case 's': extra.serve = atoi(optarg); break;
		case 'a': extra.reach = optarg; break;
		case 'w': extra.lan = 1; break;
		case 'Z':	/* the tool first, then the program it drives */
			driver = 1;
			break;
		case 'g':
			if (cgview_add(optarg) == -1)
				die_msg("--cgroup %s: not NAME:TYPE:OPTIONS", optarg);
			break;
		case 'c': extra.cpu_window = atol(optarg); break;
		case 'o': extra.fork_outside = 1; break;
		default: die_msg("usage: observer [LIMIT...] [SCENE...] -- PROGRAM [ARG...]");
		}
	}
	if (optind == argc)
		die_msg("usage: observer [LIMIT...] [SCENE...] -- PROGRAM [ARG...]");
	if (driver && optind + 1 < argc) {
		char *program = argv[optind];

		argv[optind] = argv[optind + 1];
		argv[optind + 1] = program;
	}

	for (int i = optind; i < argc; i++)
		probe_holds |= strcmp(argv[i], "--hold") == 0;
	watch_init(PROBE);
	/* First, while "/" may still be written to. */
	if (cgview_on())
		cgview_setup();
	watch_limit_sandbox(&limits);
	prepare_extra();
	if (want_veth)
		run(veth);
	if (bridge[3] != NULL)
		run(bridge);
	if (want_msgq && msgget(OBSERVER_MSGQ_KEY, IPC_CREAT | 0644) == -1)
		die("msgget 0x%08x", OBSERVER_MSGQ_KEY);
	if (want_rshared && mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) == -1)
		die("mount / MS_REC|MS_SHARED");
	if (extra.mask_proc &&
	    (mount("/proc/sys", "/proc/sys", NULL, MS_BIND, NULL) == -1 ||
	     mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
		   NULL) == -1))
		die("mount /proc/sys read-only");
	if (extra.ro_root &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == -1)
		die("mount / MS_REMOUNT|MS_BIND|MS_RDONLY");

	if (extra.lan)
		scene_lan();
	if (extra.slow_ip > 0)
		scene_slow_ip(extra.slow_ip);

	printf("== before\n");
	cgview_report_tree(stdout);
	report_view(stdout);
	if (extra.image != NULL)
		image_report(stdout, extra.image);
	report_ports(stdout);
	if (extra.early != 0)
		scene_early_signal(&argv[optind], extra.early, &limits);
	printf("== output\n");

	if (extra.twin) {
		int to_twin;

		twin.pid = start(&argv[optind], &to_twin, &twin.out);
		close(to_twin);
		twin.buf = open_memstream(&twin.text, &twin.len);
		if (twin.buf == NULL)
			die("open_memstream");
	}
	if (extra.trace_open || extra.trace_powers)
		extra.tracer = scene_trace_start(&extra.trace_sock);
	if (extra.serve > 0)
		extra.server = start_server(extra.serve);
	pid = start(&argv[optind], &program_stdin, &from_stdout);
	w = relay(pid, from_stdout);

	printf("== after\n");
	cgview_report_tree(stdout);
	memory_reached = cgview_on() && cgview_box_memory_reached(stdout);
	report_view(stdout);
	if (extra.image != NULL)
		image_report(stdout, extra.image);
	report_ports(stdout);
	report_extra();
	printf("program %d\n", w.pid);
	printf("peakrss %ld\n", watch_peak_rss_kib());
	scene_report_ip(stdout);
	scene_report_trace(stdout);
	if (extra.netns_fd != -1)
		close(extra.netns_fd);
	if (w.outlived)
		printf("== outlived\n");
	report_limits(&w, memory_reached);
	if (WIFSIGNALED(w.status))
		printf("== status signal %d\n", WTERMSIG(w.status));
	else
		printf("== status exit %d\n", WEXITSTATUS(w.status));
	return 0;
}
