/* tmpfill.c: fills /tmp, a MiB at a time, until a write fails.  A tmpfs is
 * memory, which no process limit counts.  Grade: the sandbox's /tmp is full
 * (No space left on device), and the program says so. */
#include "hostile.h"

#include <fcntl.h>

int main(void)
{
	static char block[1 << 20];
	char path[64];

	memset(block, 1, sizeof(block));
	for (int n = 0;; n++) {
		snprintf(path, sizeof(path), "/tmp/fill-%d", n);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd == -1)
			DIE("open /tmp/fill-N");
		ssize_t n = write(fd, block, sizeof(block));

		if (n != (ssize_t)sizeof(block)) {
			if (n != -1)
				errno = ENOSPC;	/* a short write: the end of room */
			DIE("write /tmp/fill-N");
		}
		close(fd);
	}
}
