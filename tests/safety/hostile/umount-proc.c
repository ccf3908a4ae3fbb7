/* umount-proc.c: detaches /proc in the caller's mount namespace, as the
 * article's pid step does without a namespace of its own.  Outside a
 * sandbox, as root, the machine loses its /proc.  Grade: not isolated. */
#include "hostile.h"

#include <sys/mount.h>

int main(int argc, char *argv[])
{
	(void)argc;
	if (umount2("/proc", MNT_DETACH) == -1)
		DIE("umount2 /proc MNT_DETACH");
	return run_command(argv);
}
