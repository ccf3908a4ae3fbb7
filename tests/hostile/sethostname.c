/* sethostname.c: sets the hostname it is given (-h NAME) in the caller's
 * UTS namespace: no CLONE_NEWUTS.  Outside a sandbox, as root, that renames
 * the machine.  Grade: not isolated (the parent's name changed). */
#include "hostile.h"

int main(int argc, char *argv[])
{
	const char *name = "hostile";

	(void)argc;
	if (argv[1] != NULL && strcmp(argv[1], "-h") == 0 && argv[2] != NULL)
		name = argv[2];
	if (sethostname(name, strlen(name)) == -1)
		DIE("sethostname");
	return run_command(argv);
}
