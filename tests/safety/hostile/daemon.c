/* daemon.c: runs its command, and leaves a daemon behind: a grandchild in a
 * session of its own, still holding stdout, that never ends.  Grade: left a
 * process behind (quickly: the grader does not wait for it). */
#include "hostile.h"

#include <time.h>

int main(int argc, char *argv[])
{
	pid_t pid;

	(void)argc;
	pid = fork();
	if (pid == -1)
		DIE("fork");
	if (pid == 0) {
		if (setsid() == -1)
			DIE("setsid");
		pid = fork();
		if (pid == -1)
			DIE("fork");
		if (pid == 0)
			for (;;)
				nanosleep(&(struct timespec){ 1, 0 }, NULL);
		_exit(0);
	}
	if (waitpid(pid, NULL, 0) == -1)
		DIE("waitpid");
	return run_command(argv);
}
