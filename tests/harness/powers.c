/*
 * powers.c: what a process may do, for the probe and the observer (see
 * powers.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "powers.h"

extern char **environ;

/* A folder of the probe's own to mount on: /tmp itself may be the
 * observer's, where it keeps its logs. */
#define MOUNT_DIR "/tmp/probe-mount"

void powers_report_own(FILE *out)
{
	static const char *const sets[] = { "CapEff", "CapPrm", "CapInh" };
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	unsigned long long set[3], bounding = 0, ambient = 0;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid, groups[256];
	int n;

	if (getresuid(&ruid, &euid, &suid) == 0)
		fprintf(out, "cred Uid %u %u %u %u\n", ruid, euid, suid,
			(unsigned)setfsuid((uid_t)-1));	/* -1: only asks */
	if (getresgid(&rgid, &egid, &sgid) == 0)
		fprintf(out, "cred Gid %u %u %u %u\n", rgid, egid, sgid,
			(unsigned)setfsgid((gid_t)-1));
	n = getgroups(256, groups);
	fprintf(out, "cred Groups");
	for (int i = 0; i < n; i++)
		fprintf(out, " %u", groups[i]);
	fputc('\n', out);

	if (syscall(SYS_capget, &head, data) == 0) {
		set[0] = (unsigned long long)data[1].effective << 32 | data[0].effective;
		set[1] = (unsigned long long)data[1].permitted << 32 | data[0].permitted;
		set[2] = (unsigned long long)data[1].inheritable << 32 | data[0].inheritable;
		for (int i = 0; i < 3; i++)
			fprintf(out, "cred %s %016llx\n", sets[i], set[i]);
	}
	/* The bounding and ambient sets are read one capability at a time,
	 * up to the first the kernel does not know (EINVAL). */
	for (int cap = 0, in; cap < 64 &&
	     (in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0; cap++) {
		if (in == 1)
			bounding |= 1ULL << cap;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			ambient |= 1ULL << cap;
	}
	fprintf(out, "cred CapBnd %016llx\n", bounding);
	fprintf(out, "cred CapAmb %016llx\n", ambient);
	fprintf(out, "cred NoNewPrivs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	fprintf(out, "cred Seccomp %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

void powers_report_status(FILE *out, pid_t pid)
{
	static const char *const fields[] = {
		"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
		"CapAmb", "NoNewPrivs", "Seccomp",
	};
	char path[64], line[1024];
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	in = fopen(path, "re");
	if (in == NULL) {
		fprintf(out, "unreadable status %d: %s\n", pid, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		char *colon = strchr(line, ':'), *value, *word, *save = NULL;

		if (colon == NULL)
			continue;
		*colon = '\0';
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strcmp(line, fields[i]) != 0)
				continue;
			/* "Uid:\t0\t0\t0\t0\n" becomes "cred Uid 0 0 0 0". */
			fprintf(out, "cred %s", line);
			value = colon + 1;
			for (word = strtok_r(value, " \t\n", &save); word != NULL;
			     word = strtok_r(NULL, " \t\n", &save))
				fprintf(out, " %s", word);
			fputc('\n', out);
		}
	}
	fclose(in);
}

/* The tries: each makes one call, with arguments that do no harm where it
 * succeeds, and returns 0 or -1 with errno set. */

/* A tmpfs on a folder of its own, unmounted and removed again at once,
 * so that an image is left as it was. */
static int try_mount(void)
{
	int rc, err;

	if (mkdir(MOUNT_DIR, 0755) == -1 && errno != EEXIST)
		return -1;
	rc = (int)syscall(SYS_mount, "tmpfs", MOUNT_DIR, "tmpfs", 0UL,
			  "size=64k");
	err = errno;
	if (rc == 0)
		umount2(MOUNT_DIR, MNT_DETACH);
	rmdir(MOUNT_DIR);
	errno = err;
	return rc;
}

/* A flag no kernel knows: where the call is allowed, EINVAL, before
 * anything is looked up, let alone unmounted. */
static int try_umount2(void)
{
	return (int)syscall(SYS_umount2, "/", 0x80000000UL);
}

/* A folder that does not exist: where the call is allowed, ENOENT. */
static int try_pivot_root(void)
{
	return (int)syscall(SYS_pivot_root, "/nonexistent", "/nonexistent");
}

/* The new mount API: a file system context, without a mount. */
static int try_fsopen(void)
{
	int fd = (int)syscall(SYS_fsopen, "tmpfs", 0);

	return fd == -1 ? -1 : close(fd);
}

/* The child alone goes into the new namespace, and dies with it. */
static int try_unshare(void)
{
	return (int)syscall(SYS_unshare, CLONE_NEWUSER);
}

/* Joins the UTS namespace it is in already. */
static int try_setns(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC), rc;

	if (fd == -1)
		return -1;
	rc = (int)syscall(SYS_setns, fd, CLONE_NEWUTS);
	close(fd);
	return rc;
}

/* Waits for the process that a clone of ours made, if it made one. */
static int reap(long pid)
{
	if (pid == -1)
		return -1;
	if (pid == 0)
		_exit(0);	/* the new process: its work is done */
	return waitpid((pid_t)pid, NULL, 0) == -1 ? -1 : 0;
}

/* clone(2) as a container may not use it: into a new user namespace. */
static int try_clone(void)
{
	return reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL,
			    NULL, NULL));
}

/* clone(2) as fork(2) uses it, without CLONE_NEW* flags. */
static int try_fork(void)
{
	return reap(syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL));
}

/* clone3(2), a plain fork too; its flags are in memory. */
static int try_clone3(void)
{
	struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal,
		 stack, stack_size, tls; } args = { .exit_signal = SIGCHLD };

	return reap(syscall(SYS_clone3, &args, sizeof(args)));
}

/* posix_spawn(3), which the C library makes with clone3(), and with
 * clone() where the kernel says it has no clone3().  The program it starts
 * is the probe itself, which exits at once on an unknown option. */
static int try_spawn(void)
{
	char *const argv[] = { "probe", "--spawned", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					     O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
					     O_WRONLY, 0) != 0)
		return -1;
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return waitpid(pid, NULL, 0) == -1 ? -1 : 0;
}

/* A keyring of the child's own, gone when it ends. */
static int try_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		       KEY_SPEC_PROCESS_KEYRING, 1) == -1 ? -1 : 0;
}

static int try_add_key(void)
{
	return syscall(SYS_add_key, "user", "probe", "x", 1,
		       KEY_SPEC_PROCESS_KEYRING) == -1 ? -1 : 0;
}

/* A key no one has: where the call is allowed, ENOKEY. */
static int try_request_key(void)
{
	return syscall(SYS_request_key, "user", "probe-none", NULL,
		       KEY_SPEC_PROCESS_KEYRING) == -1 ? -1 : 0;
}

/* A one-entry array map, closed at once. */
static int try_bpf(void)
{
	union bpf_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				.value_size = 4, .max_entries = 1 };
	int fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));

	return fd == -1 ? -1 : close(fd);
}

/* A software counter of the child's own time, never started. */
static int try_perf_event_open(void)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr), .config = PERF_COUNT_SW_TASK_CLOCK,
		.disabled = 1, .exclude_kernel = 1, .exclude_hv = 1 };
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

	return fd == -1 ? -1 : close(fd);
}

/* Flags no kernel knows: past the permission check, EINVAL. */
static int try_kexec_load(void)
{
	return (int)syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL);
}

/* No magic numbers: past the permission check, EINVAL. */
static int try_reboot(void)
{
	return (int)syscall(SYS_reboot, 0, 0, 0, NULL);
}

static int try_swapon(void)
{
	return (int)syscall(SYS_swapon, "/nonexistent", 0);
}

/* No module at all: past the permission check, EFAULT. */
static int try_init_module(void)
{
	return (int)syscall(SYS_init_module, NULL, 0UL, "");
}

static int try_sethostname(void)
{
	return (int)syscall(SYS_sethostname, "probe-try", 9UL);
}

/* Calls any program makes, for filters of a test's own choosing. */
static int try_mkdir(void)
{
	if (syscall(SYS_mkdir, "/tmp/probe-try", 0755) == -1 && errno != EEXIST)
		return -1;
	return rmdir("/tmp/probe-try");
}

static int try_symlink(void)
{
	if (syscall(SYS_symlink, "target", "/tmp/probe-link") == -1)
		return -1;
	return unlink("/tmp/probe-link");
}

static int try_chdir(void)
{
	return (int)syscall(SYS_chdir, "/");
}

static int try_kill(void)
{
	return (int)syscall(SYS_kill, getpid(), 0);
}

/* unshare(CLONE_NEWUSER) through the i386 system call table, as a 32-bit
 * program calls it (int $0x80, call 310): a filter that looks at call
 * numbers without their architecture would take it for another call. */
static int try_unshare_i386(void)
{
	long rc;

	__asm__ volatile("int $0x80" : "=a"(rc) : "a"(310L), "b"((long)CLONE_NEWUSER)
			 : "memory", "r8", "r9", "r10", "r11");
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*call)(void);
} tries[] = {
	{ "mount", try_mount }, { "umount2", try_umount2 },
	{ "pivot_root", try_pivot_root }, { "fsopen", try_fsopen },
	{ "unshare", try_unshare }, { "setns", try_setns },
	{ "clone", try_clone }, { "fork", try_fork }, { "clone3", try_clone3 },
	{ "spawn", try_spawn }, { "keyctl", try_keyctl },
	{ "add_key", try_add_key }, { "request_key", try_request_key },
	{ "bpf", try_bpf }, { "perf_event_open", try_perf_event_open },
	{ "kexec_load", try_kexec_load }, { "reboot", try_reboot },
	{ "swapon", try_swapon }, { "init_module", try_init_module },
	{ "sethostname", try_sethostname }, { "mkdir", try_mkdir },
	{ "symlink", try_symlink }, { "chdir", try_chdir }, { "kill", try_kill },
	{ "unshare-i386", try_unshare_i386 },
};

int powers_try(FILE *out, const char *name)
{
	int status;
	pid_t pid;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (strcmp(tries[i].name, name) != 0)
			continue;
		fflush(out);
		pid = fork();
		if (pid == -1) {
			fprintf(out, "try %s %s\n", name, strerrorname_np(errno));
			return 0;
		}
		if (pid == 0) {
			errno = 0;
			if (tries[i].call() == 0)
				_exit(0);
			_exit(errno > 0 && errno < 256 ? errno : 255);
		}
		if (waitpid(pid, &status, 0) == -1)
			fprintf(out, "try %s unknown: %s\n", name, strerror(errno));
		else if (WIFSIGNALED(status))
			fprintf(out, "try %s killed %s\n", name,
				sigabbrev_np(WTERMSIG(status)));
		else if (WEXITSTATUS(status) == 0)
			fprintf(out, "try %s ok\n", name);
		else
			fprintf(out, "try %s %s\n", name,
				strerrorname_np(WEXITSTATUS(status)) ?: "EUNKNOWN");
		return 0;
	}
	return -1;
}
