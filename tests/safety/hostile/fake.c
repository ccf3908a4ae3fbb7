/* fake.c: prints what the probe would print in namespaces of their own,
 * without making one or running its command.  Grade: not isolated. */
#include "hostile.h"

int main(void)
{
	printf("== inside\n"
	       "pid 1\nppid 0\nuid 0\ngid 0\n"
	       "hostname exercise-host\ndomainname workbook.test\n"
	       "ns cgroup 4026531835 dev 0:4\nns ipc 4026532001 dev 0:4\nns mnt 4026532002 dev 0:4\n"
	       "ns net 4026532003 dev 0:4\nns pid 4026532004 dev 0:4\nns user 4026532005 dev 0:4\n"
	       "ns uts 4026532006 dev 0:4\n"
	       "link lo up\n"
	       "proc 1 probe\n"
	       "== end inside\n");
	return 0;
}
