/* flood.c: prints without end.  Grade: output limit. */
#include "hostile.h"

int main(void)
{
	for (;;)
		puts("the same line, again and again, without end");
}
