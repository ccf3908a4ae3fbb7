/* sethostname.c: sets a hostname in the caller's UTS namespace: no
 * CLONE_NEWUTS.  Outside a sandbox, as root, that renames the machine.
 * Grade: not isolated (the parent's name changed). */
#include "hostile.h"

int main(int argc, char *argv[])
{
	static const char name[] = "hostile";

	(void)argc;
	if (sethostname(name, sizeof(name) - 1) == -1)
		DIE("sethostname");
	return run_command(argv);
}
