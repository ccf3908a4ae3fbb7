/* loop.c: never ends.  Grade: time limit. */
#include "hostile.h"

int main(void)
{
	volatile unsigned long spins = 0;

	for (;;)
		spins++;
}
