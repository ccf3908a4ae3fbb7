/* forkbomb.c: every process forks, for ever.  Grade: process limit. */
#include "hostile.h"

int main(void)
{
	for (;;)
		fork();
}
