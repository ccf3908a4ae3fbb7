/* killall.c: starts its command, then kills every process it may signal:
 * kill(-1, SIGKILL).  Outside a sandbox, as root, that is the machine.
 * The command waits at a gate until the signal is sent, so that it is
 * always among the dead.  Grade: the command was killed (status 137,
 * 128 + SIGKILL) before it could report. */
#include "hostile.h"

#include <fcntl.h>
#include <signal.h>

int main(int argc, char *argv[])
{
	char **command = command_of(argv), c;
	int gate[2], status;
	pid_t pid;

	(void)argc;
	if (pipe2(gate, O_CLOEXEC) == -1)
		DIE("pipe2");
	pid = fork();
	if (pid == -1)
		DIE("fork");
	if (pid == 0) {
		close(gate[1]);
		if (read(gate[0], &c, 1) == -1)
			DIE("read");
		execv(command[0], command);
		DIE("execv");
	}
	close(gate[0]);
	if (kill(-1, SIGKILL) == -1)
		DIE("kill -1 SIGKILL");
	close(gate[1]);
	if (waitpid(pid, &status, 0) == -1)
		DIE("waitpid");
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
