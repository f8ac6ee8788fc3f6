/* SPDX-License-Identifier: ISC */
/*
 * blake2b.h - BLAKE2b (RFC 7693), unkeyed, one shot.
 *
 * The same function as libsodium's crypto_generichash with no key, and the
 * unit tests hold it to that, byte for byte.  It exists so that the PAM
 * module, which runs in every login's fresh process, need not load
 * libsodium only to hash 32 bytes: loading and initialising it cost more
 * than the whole token lookup (see the benchmark notes in README.md).
 */
#ifndef APITOKEN_BLAKE2B_H
#define APITOKEN_BLAKE2B_H

#include <stddef.h>
#include <stdint.h>

#define BLAKE2B_OUT_MAX 64

/* Hash inlen bytes of in into outlen (1..64) bytes of out. */
void blake2b(uint8_t *out, size_t outlen, const void *in, size_t inlen);

/* Compare n bytes in time that depends on n only; 0 when equal. */
int blake2b_memcmp(const void *a, const void *b, size_t n);

#endif
