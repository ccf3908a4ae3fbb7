/* segfault.c: writes through a null pointer.  Grade: killed by signal 11. */
#include "hostile.h"

int main(void)
{
	*(volatile int *)NULL = 1;
	return 0;
}
