/* refused-calls.c: makes, itself, every call that chapter 10's filter
 * refuses a container (a mount on /tmp, /proc unmounted, pivot_root, a
 * join of PID 1's mount namespace, a keyring and a key, a BPF map, a perf
 * counter, kexec, reboot, swap, a module, a user namespace), then runs its
 * command as root of the sandbox, with every capability: no namespace of
 * its own, no capability dropped, no filter.  Whatever each call does, it
 * does to the sandbox; the arguments of those that reach the whole machine
 * (kexec, reboot, swap, modules) are ones the kernel refuses even from the
 * machine's root, past its permission check.  Grade: failed (pivot_root()
 * moves the sandbox's root, after which execv() no longer finds the
 * command, /box/probe: the program exits 1 before its command reports). */
#include "hostile.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>

/* Prints "refused-calls: CALL: RESULT" on stderr, from rc and errno. */
static void said(const char *call, long rc)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, call,
		rc == -1 ? strerror(errno) : "done");
}

int main(int argc, char *argv[])
{
	union bpf_attr map = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
			       .value_size = 4, .max_entries = 1 };
	struct perf_event_attr counter = { .type = PERF_TYPE_SOFTWARE,
		.size = sizeof(counter), .config = PERF_COUNT_SW_TASK_CLOCK,
		.disabled = 1, .exclude_kernel = 1, .exclude_hv = 1 };
	int fd;
	long rc;

	(void)argc;
	said("mount tmpfs on /tmp", mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m"));
	said("umount2 /proc", umount2("/proc", MNT_DETACH));
	said("pivot_root . .", syscall(SYS_pivot_root, ".", "."));
	fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
	said("setns PID 1's mount namespace", fd == -1 ? -1 : setns(fd, CLONE_NEWNS));
	said("keyctl join a session keyring",
	     syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "hostile"));
	said("add_key", syscall(SYS_add_key, "user", "hostile", "x", 1,
				KEY_SPEC_SESSION_KEYRING));
	said("request_key", syscall(SYS_request_key, "user", "hostile", NULL, 0));
	rc = syscall(SYS_bpf, BPF_MAP_CREATE, &map, sizeof(map));
	said("bpf BPF_MAP_CREATE", rc);
	rc = syscall(SYS_perf_event_open, &counter, 0, -1, -1, 0);
	said("perf_event_open", rc);
	/* Flags no kernel knows; a command no PID namespace takes; a file
	 * that is no swap; no module at all. */
	said("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL));
	said("reboot CAD_OFF", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1,
				       LINUX_REBOOT_MAGIC2,
				       LINUX_REBOOT_CMD_CAD_OFF, NULL));
	said("swapon /dev/null", syscall(SYS_swapon, "/dev/null", 0));
	said("init_module", syscall(SYS_init_module, NULL, 0UL, ""));
	/* In a child, which alone goes into the new namespaces: the command
	 * is to run as root of the sandbox. */
	rc = fork();
	if (rc == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == -1 ? 1 : 0);
	said("unshare CLONE_NEWUSER|CLONE_NEWNS in a child", rc == -1 ? -1 :
	     waitpid((pid_t)rc, &fd, 0) == -1 || fd != 0 ? -1 : 0);
	return run_command(argv);
}
