/* SPDX-License-Identifier: ISC */
/*
 * grow.h - arrays that grow as a scan collects into them.
 */
#ifndef APITOKEN_GROW_H
#define APITOKEN_GROW_H

#include <stddef.h>

/*
 * Room for element n of the array whose pointer is at arrayp (a T **,
 * holding *cap elements of size bytes, or NULL and 0): when n reaches
 * *cap the array is reallocated to twice as many (16 at first).  0, or
 * ERR_NOMEM with the array and *cap unchanged.
 */
int grow_room(void *arrayp, int n, int *cap, size_t size);

#endif
