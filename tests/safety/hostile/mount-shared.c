/* mount-shared.c: mounts a tmpfs on /tmp in the caller's mount namespace,
 * which is shared, as on every systemd machine: no CLONE_NEWNS, no
 * MS_PRIVATE.  Outside a sandbox, as root, the machine's /tmp is covered.
 * Grade: not isolated (it mounts in its parent's namespace). */
#include "hostile.h"

#include <sys/mount.h>

int main(int argc, char *argv[])
{
	(void)argc;
	if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") == -1)
		DIE("mount tmpfs on /tmp");
	return run_command(argv);
}
