/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "grow.h"

int
grow_room(void *arrayp, int n, int *cap, size_t size)
{
	void *array;
	int want;

	if (n < *cap)
		return 0;
	want = *cap > 0 ? 2 * *cap : 16;
	/* arrayp is a T **: copied through memcpy, not read as a void **. */
	memcpy(&array, arrayp, sizeof(array));
	if (want < *cap ||
	    (array = reallocarray(array, (size_t)want, size)) == NULL)
		return ERR_NOMEM;
	memcpy(arrayp, &array, sizeof(array));
	*cap = want;
	return 0;
}
