/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "err.h"
#include "verify_proto.h"

#define NFIELDS 7

static const char *const verdicts[] = {
	[VERIFY_OK] = "ok",
	[VERIFY_NOT_TOKEN] = "ignore",
	[VERIFY_DENIED] = "denied",
	[VERIFY_UNAVAIL] = "unavail",
};

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
put_field(char *buf, size_t cap, size_t *n, const char *s, size_t len)
{
	if (len > cap - *n - 1)
		return ERR_LIMIT;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[(*n)++] = '\0';
	return 0;
}

int
vproto_request_encode(const char *user, const char *service, const char *rhost,
    const uid_t *run_by, const char *password, size_t password_len, char *buf,
    size_t cap)
{
	char uid[VPROTO_UID_MAX + 1] = "";
	const char *f[] = { VPROTO_MAGIC, user, service,
		rhost != NULL ? rhost : "", uid };
	size_t n = 0;

	if (password_len > VERIFY_MAX_INPUT ||
	    memchr(password, '\0', password_len) != NULL)
		return ERR_LIMIT;
	if (run_by != NULL)
		snprintf(uid, sizeof(uid), "%u", (unsigned)*run_by);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i] == NULL || strlen(f[i]) > VPROTO_FIELD_MAX)
			return ERR_LIMIT;
		if (!printable(f[i]))
			return ERR_INVAL;
		if (put_field(buf, cap, &n, f[i], strlen(f[i])) < 0)
			return ERR_LIMIT;
	}
	if (put_field(buf, cap, &n, password, password_len) < 0)
		return ERR_LIMIT;
	return (int)n;
}

bool
vproto_request_complete(const char *buf, size_t len)
{
	int nuls = 0;

	for (size_t i = 0; i < len && nuls < 6; i++)
		nuls += buf[i] == '\0';
	return nuls == 6;
}

/* Copy the NUL-terminated field at *p (inside end) into dst of cap bytes. */
static int
take_field(const char **p, const char *end, char *dst, size_t cap,
    size_t *outlen)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t len;

	if (nul == NULL || (len = (size_t)(nul - *p)) >= cap)
		return ERR_INVAL;
	memcpy(dst, *p, len + 1);
	if (outlen != NULL)
		*outlen = len;
	*p = nul + 1;
	return 0;
}

/*
 * RUN_BY: empty, or a uid in decimal as the encoder writes it (no sign,
 * no leading zero, not (uid_t)-1, which means "no uid" to setresuid).
 */
static int
take_uid(const char *s, struct vproto_request *rq)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return 0;
	if (s[0] == '0' && s[1] != '\0')
		return ERR_INVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    (v = v * 10 + (unsigned)(*s - '0')) >= (uid_t)-1)
			return ERR_INVAL;
	}
	rq->has_run_by = true;
	rq->run_by = (uid_t)v;
	return 0;
}

int
vproto_request_decode(const char *buf, size_t len, struct vproto_request *rq)
{
	char magic[sizeof(VPROTO_MAGIC)], uid[VPROTO_UID_MAX + 1];
	const char *p = buf, *end = buf + len;

	memset(rq, 0, sizeof(*rq));
	if (len > VPROTO_REQUEST_MAX ||
	    take_field(&p, end, magic, sizeof(magic), NULL) < 0 ||
	    strcmp(magic, VPROTO_MAGIC) != 0 ||
	    take_field(&p, end, rq->user, sizeof(rq->user), NULL) < 0 ||
	    take_field(&p, end, rq->service, sizeof(rq->service), NULL) < 0 ||
	    take_field(&p, end, rq->rhost, sizeof(rq->rhost), NULL) < 0 ||
	    take_field(&p, end, uid, sizeof(uid), NULL) < 0 ||
	    take_uid(uid, rq) < 0 ||
	    take_field(&p, end, rq->password, sizeof(rq->password),
	        &rq->password_len) < 0 ||
	    p != end || !printable(rq->user) || !printable(rq->service) ||
	    !printable(rq->rhost) || rq->user[0] == '\0') {
		explicit_bzero(rq, sizeof(*rq));
		return ERR_INVAL;
	}
	return 0;
}

int
vproto_answer_encode(const struct verify_result *res, char *buf, size_t cap)
{
	char perms[LIST_MAX * (ITEM_MAX_LEN + 1) + 1] = "";
	size_t n = 0;
	int len;
	bool ok = res->code == VERIFY_OK;

	if ((unsigned)res->code >= sizeof(verdicts) / sizeof(verdicts[0]) ||
	    verdict_of(res->reason) != res->code)
		return ERR_INVAL;
	for (int i = 0; ok && i < res->rec.permissions.n; i++)
		n += (size_t)snprintf(perms + n, sizeof(perms) - n, "%s%s",
		    i > 0 ? "," : "", res->rec.permissions.v[i]);
	len = snprintf(buf, cap, "%s\t%s\t%s\t%s\t%s\t%s\t%lld\n", VPROTO_MAGIC,
	    verdicts[res->code], verdict_reason_name(res->reason),
	    ok ? res->rec.id : res->id, ok ? res->rec.name : "", perms,
	    ok ? (long long)res->rec.expires_at : 0LL);
	return len < 0 || (size_t)len >= cap ? ERR_LIMIT : len;
}

static int
decode_fields(char **f, struct verify_result *res)
{
	enum verify_reason reason;
	long long expires;
	char *end, *item;
	size_t code;

	if (strcmp(f[0], VPROTO_MAGIC) != 0 ||
	    verdict_reason_from_name(f[2], &reason) < 0)
		return ERR_INVAL;
	for (code = 0; code < sizeof(verdicts) / sizeof(verdicts[0]); code++)
		if (strcmp(f[1], verdicts[code]) == 0)
			break;
	if (code == sizeof(verdicts) / sizeof(verdicts[0]) ||
	    verdict_of(reason) != (enum verify_code)code)
		return ERR_INVAL;
	if (f[3][0] != '\0' && !token_id_valid(f[3]))
		return ERR_INVAL;
	res->code = (enum verify_code)code;
	res->reason = reason;
	memcpy(res->id, f[3], strlen(f[3]) + 1);
	if (res->code != VERIFY_OK)
		return f[4][0] == '\0' && f[5][0] == '\0' &&
		        strcmp(f[6], "0") == 0 ?
		    0 :
		    ERR_INVAL;
	errno = 0;
	expires = strtoll(f[6], &end, 10);
	if (f[3][0] == '\0' || errno != 0 || *end != '\0' || end == f[6] ||
	    expires < 0)
		return ERR_INVAL;
	if (field_set(res->rec.id, sizeof(res->rec.id), f[3]) < 0 ||
	    field_set(res->rec.name, sizeof(res->rec.name), f[4]) < 0)
		return ERR_INVAL;
	if (f[5][0] != '\0')
		while ((item = strsep(&f[5], ",")) != NULL)
			if (*item == '\0' ||
			    strlist_add(&res->rec.permissions, item) < 0)
				return ERR_INVAL;
	res->rec.expires_at = expires;
	return 0;
}

int
vproto_answer_decode(const char *buf, size_t len, struct verify_result *res)
{
	char line[VPROTO_ANSWER_MAX], *f[NFIELDS], *p = line;
	int n = 0, rc = ERR_INVAL;

	memset(res, 0, sizeof(*res));
	if (len > 0 && len < sizeof(line) && buf[len - 1] == '\n') {
		memcpy(line, buf, len - 1);
		line[len - 1] = '\0';
		for (size_t i = 0; i < len - 1; i++)
			if (line[i] == '\t')
				line[i] = ' ';
		/* One printable line; the TABs are put back to split it. */
		if (strlen(line) == len - 1 && printable(line)) {
			memcpy(line, buf, len - 1);
			while (n < NFIELDS && (f[n] = strsep(&p, "\t")) != NULL)
				n++;
			if (n == NFIELDS && p == NULL)
				rc = decode_fields(f, res);
		}
	}
	if (rc < 0) {
		memset(res, 0, sizeof(*res));
		res->code = VERIFY_DENIED;
		res->reason = VREASON_BAD_ANSWER;
	}
	return rc;
}

bool
vproto_served_by_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    len == sizeof(cred) && cred.uid == 0;
}
