/* memhog.c: takes memory and touches it, a MiB at a time, without end, and
 * trusts malloc() never to fail.  Grade: memory limit. */
#include "hostile.h"

/* Where the last block goes, so that the compiler keeps every write. */
static char *volatile last;

int main(void)
{
	for (;;) {
		char *p = malloc(1 << 20);

		memset(p, 1, 1 << 20);
		last = p;
	}
}
