/* SPDX-License-Identifier: ISC */
/* Arbitrary bytes as a stored record or usage entry. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blake2b.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[RECORD_MAX_ENCODED], sealed[RECORD_MAX_ENCODED];
	struct record r, back;
	struct usage u, back_u;
	int n;

	/*
	 * Random bytes almost never carry a valid checksum, so the input is
	 * taken as a record body and sealed here: that way the fuzzer reaches
	 * the field parser.  A record of the current version must encode back
	 * to the same bytes (no lossy fields); an older one is written in the
	 * current version, which must decode to the same record.
	 */
	if (size <= RECORD_MAX_ENCODED - RECORD_SUM_LEN) {
		memcpy(sealed, data, size);
		blake2b(sealed + size, RECORD_SUM_LEN, data, size);
		data = sealed;
		size += RECORD_SUM_LEN;
	}
	if (record_decode(data, size, &r, NULL) == 0) {
		n = record_encode(&r, buf, sizeof(buf));
		if (n < 0)
			abort();
		if (data[0] == RECORD_VERSION &&
		    ((size_t)n != size || memcmp(buf, data, size) != 0))
			abort();
		if (record_decode(buf, (size_t)n, &back, NULL) != 0 ||
		    memcmp(&r, &back, sizeof(r)) != 0)
			abort();
	}
	/* Usage entries likewise: an older one decodes to the same entry
	 * once written in the current version. */
	if (usage_decode(data, size, &u, NULL) == 0) {
		n = usage_encode(&u, buf, sizeof(buf));
		if (n < 0)
			abort();
		if (data[0] == USAGE_VERSION &&
		    ((size_t)n != size || memcmp(buf, data, size) != 0))
			abort();
		if (usage_decode(buf, (size_t)n, &back_u, NULL) != 0 ||
		    memcmp(&u, &back_u, sizeof(u)) != 0)
			abort();
	}
	return 0;
}
