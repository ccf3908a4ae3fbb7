/* write.c: appends a line to TARGET, a file outside the sandbox (tests/
 * hostile.sh defines TARGET above this line: in /etc, in the grader's home,
 * in the repository, in the graded folder), then runs its command.  Grade:
 * the write fails inside the sandbox and the program says so, exit 1. */
#include "hostile.h"

#include <fcntl.h>

int main(int argc, char *argv[])
{
	static const char line[] = "a submission was here\n";
	int fd = open(TARGET, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	(void)argc;
	if (fd == -1)
		DIE("open " TARGET);
	if (write(fd, line, sizeof(line) - 1) == -1)
		DIE("write " TARGET);
	close(fd);
	return run_command(argv);
}
