/* SPDX-License-Identifier: ISC */
/*
 * skip.c - stands in for a test program that this build cannot make, so
 * that make check reports it skipped, with the reason configure found
 * (SKIP_WHY), and not missing or passed.  77 is automake's "skipped".
 */
#include <stdio.h>

int
main(void)
{
	printf("SKIP: %s\n", SKIP_WHY);
	return 77;
}
