/*
 * nsdeny.c: run a command where namespaces are refused, the way a container
 * engine's default seccomp profile or an older kernel refuses them.
 *
 *     usage: nsdeny ERRNO FLAGS COMMAND [ARG...]
 *
 * Installs a seccomp filter under which unshare(2) and clone(2) fail with
 * ERRNO (a number: 1 is EPERM, as Docker answers; 22 is EINVAL, as a kernel
 * without that namespace type answers) when their flags hold any bit of FLAGS
 * (CLONE_NEW* bits, or'ed: 0x7e020000 is all of them), then runs COMMAND.
 * clone3(2) fails with ENOSYS, since a filter cannot read its flags: the C
 * library then falls back to clone(2).  The tests of tools/doctor.sh use it
 * to see the doctor's advice without changing the machine.
 *
 * Exit status: COMMAND's; 2 for a usage error, 1 if the filter cannot be set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "die.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "nsdeny: add this machine's AUDIT_ARCH_* here"
#endif

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RETURN(value) BPF_STMT(BPF_RET | BPF_K, (value))

int main(int argc, char *argv[])
{
	char *end;
	long err, flags;

	if (argc < 4)
		die_msg("usage: nsdeny ERRNO FLAGS COMMAND [ARG...]");
	err = strtol(argv[1], &end, 0);
	if (*end != '\0' || err <= 0 || err > 4095)
		die_msg("nsdeny: ERRNO must be a number from 1 to 4095, not %s", argv[1]);
	flags = strtol(argv[2], &end, 0);
	if (*end != '\0' || flags <= 0)
		die_msg("nsdeny: FLAGS must be a number, not %s", argv[2]);

	/* The low 32 bits of the first argument hold the CLONE_* flags of both
	 * unshare(2) and clone(2) on the machines named above. */
	struct sock_filter filter[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		RETURN(SECCOMP_RET_ALLOW),
		LOAD(nr),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
		RETURN(SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
		LOAD(args[0]),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (unsigned)flags, 0, 1),
		RETURN(SECCOMP_RET_ERRNO | (unsigned)err),
		RETURN(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	/* Without no_new_privs, only a process with CAP_SYS_ADMIN may filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		die("prctl PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
		die("prctl PR_SET_SECCOMP");
	execvp(argv[3], &argv[3]);
	die("execvp %s", argv[3]);
}
