/* SPDX-License-Identifier: ISC */
/*
 * The verify protocol's decoders on arbitrary bytes: both face the other
 * side of a trust boundary (a caller's request, a verifier's answer).
 * Whatever decodes must encode again to something that decodes the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vproto_request rq, rq2;
	struct verify_result res, res2;
	char buf[VPROTO_ANSWER_MAX + VPROTO_REQUEST_MAX];
	int n;

	vproto_request_complete((const char *)data, size);
	if (vproto_request_decode((const char *)data, size, &rq) == 0) {
		n = vproto_request_encode(rq.user, rq.service, rq.rhost,
		    rq.has_run_by ? &rq.run_by : NULL, rq.password,
		    rq.password_len, buf, sizeof(buf));
		if (n < 0 || vproto_request_decode(buf, (size_t)n, &rq2) != 0 ||
		    memcmp(&rq, &rq2, sizeof(rq)) != 0)
			abort();
	}
	if (vproto_answer_decode((const char *)data, size, &res) == 0) {
		n = vproto_answer_encode(&res, buf, sizeof(buf));
		if (n < 0 || vproto_answer_decode(buf, (size_t)n, &res2) != 0 ||
		    res2.code != res.code || res2.reason != res.reason ||
		    strcmp(res2.id, res.id) != 0 ||
		    res2.rec.permissions.n != res.rec.permissions.n)
			abort();
	}
	return 0;
}
