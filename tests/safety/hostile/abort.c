/* abort.c: gives up with abort(), as a failed assert() does.  Grade: killed
 * by signal 6. */
#include "hostile.h"

int main(void)
{
	abort();
}
