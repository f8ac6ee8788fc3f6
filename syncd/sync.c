/* SPDX-License-Identifier: ISC */
/*
 * sync.c - one RFC 4533 Content Synchronization session with a provider.
 *
 * The messages are libldap's own (ldap.h's LDAP_SYNC_* and LDAP_TAG_*,
 * the same ldap_sync.c decodes); Debian ships no ldap_sync.h, so the
 * control and the sync info messages are coded here with liblber, as
 * ldap_sync.c does.  A refresh is applied whole: its changes, the deletes
 * of a present phase and the cookie that ends it commit in one write
 * transaction.  In the persist stage every message commits at once.  A
 * provider that answers e-syncRefreshRequired, or refuses the cookie, gets
 * a search without one: a full reload that removes whatever the provider
 * no longer names.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium/utils.h>

#include "err.h"
#include "syncd.h"

static const char *const attrs[] = { "*", "createTimestamp", "modifyTimestamp",
	"entryCSN", NULL };

struct session {
	struct syncd *d;
	const char *uri;
	LDAP *ld;
	int msgid;
	bool refreshing; /* the refresh stage, before refreshDone */
	bool reloading;  /* searching without a cookie */
	bool done;       /* a refreshOnly search (--once) has ended */
	bool applied;    /* a refresh was applied: the provider works */
	uint8_t sent[FLEET_COOKIE_MAX]; /* the cookie the search began with */
	size_t sent_len;
	struct batch b;
};

static int
lderr(char *err, const char *uri, const char *what, int rc)
{
	return err_set(err, ERR_UNAVAIL, "%s: %s: %s", uri, what,
	    ldap_err2string(rc));
}

/* Read the bind password: one line of a file only root may read. */
static int
password(const char *path, char *pw, size_t cap, char *err)
{
	struct stat sb;
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return err_set(err, ERR_UNAVAIL, "%s: %m", path);
	if (fstat(fileno(f), &sb) < 0 || (sb.st_mode & 077) != 0 ||
	    (sb.st_uid != 0 && sb.st_uid != geteuid())) {
		fclose(f);
		return err_set(err, ERR_UNAVAIL,
		    "%s: must be owned by root and readable by root only",
		    path);
	}
	if (fgets(pw, (int)cap, f) == NULL)
		pw[0] = '\0';
	fclose(f);
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (n == 0)
		return err_set(err, ERR_INVAL, "%s: empty", path);
	return 0;
}

/* TLS with the pinned CA only, StartTLS on ldap://, then the bind. */
static int
connect_bind(struct session *s, const char *uri, char *err)
{
	const struct conf *cf = &s->d->conf;
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;
	struct timeval tv = { 5, 0 };
	char pw[512];
	struct berval cred;

	if ((rc = ldap_initialize(&s->ld, uri)) != LDAP_SUCCESS)
		return lderr(err, uri, "bad URI", rc);
	ldap_set_option(s->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(s->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(s->ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(s->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (ldap_set_option(s->ld, LDAP_OPT_X_TLS_CACERTFILE,
	        cf->fleet_ca_file) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(s->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) !=
	        LDAP_OPT_SUCCESS ||
	    ldap_set_option(s->ld, LDAP_OPT_X_TLS_NEWCTX, &zero) !=
	        LDAP_OPT_SUCCESS)
		return err_set(err, ERR_UNAVAIL, "%s: cannot use CA file %s",
		    uri, cf->fleet_ca_file);
	if (strncmp(uri, "ldaps://", 8) != 0 &&
	    (rc = ldap_start_tls_s(s->ld, NULL, NULL)) != LDAP_SUCCESS)
		return lderr(err, uri,
		    "StartTLS (certificate from the CA in "
		    "fleet_ca_file?)",
		    rc);
	if ((rc = password(cf->fleet_bind_password_file, pw, sizeof(pw), err)) <
	    0)
		return rc;
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(s->ld, cf->fleet_bind_dn, LDAP_SASL_SIMPLE, &cred,
	    NULL, NULL, NULL);
	sodium_memzero(pw, sizeof(pw));
	if (rc != LDAP_SUCCESS)
		return lderr(err, uri, "bind", rc);
	return 0;
}

/* The tokens for this host: its name, its groups, or every host. */
static void
filter(const struct syncd *d, char *out, size_t cap)
{
	const struct strlist *g = &d->conf.fleet_host_groups;
	size_t n;

	n = (size_t)snprintf(out, cap,
	    "(&(objectClass=apitoken)(|(apitokenHost=\\2a)(apitokenHost=%s)",
	    d->host);
	for (size_t i = 0; i < g->n && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "(apitokenHost=%s)",
		    g->v[i]);
	if (n < cap)
		snprintf(out + n, cap - n, "))");
}

struct cookie_read {
	uint8_t *buf;
	size_t len;
};

static int
cookie_fn(struct store_txn *t, void *ctx, char *err)
{
	struct cookie_read *cr = ctx;
	return store_fleet_cookie(t, cr->buf, FLEET_COOKIE_MAX, &cr->len, err);
}

/*
 * The cookie as this consumer presents it.  OpenLDAP's syncprov writes
 * its own server id into the cookies it hands out (rid=R,sid=S,csn=...)
 * and reads the sid of a cookie it is given as the consumer's: it never
 * sends a consumer the changes that came from that server id, which a
 * mirror peer has already.  Given provider 1's cookie after a failover,
 * provider 2 would keep back every change of provider 1's it replicates.
 * A host is no server: the sid goes, the rest is passed on as it is.
 */
static size_t
consumer_cookie(uint8_t *c, size_t len)
{
	size_t i = 0, o = 0;

	if (len < 4 || memcmp(c, "rid=", 4) != 0)
		return len; /* not OpenLDAP's: opaque, as RFC 4533 has it */
	while (i < len) {
		const uint8_t *comma = memchr(c + i, ',', len - i);
		size_t n =
		    comma != NULL ? (size_t)(comma - (c + i)) + 1 : len - i;

		if (n < 4 || memcmp(c + i, "sid=", 4) != 0) {
			memmove(c + o, c + i, n);
			o += n;
		}
		i += n;
	}
	return o > 0 && c[o - 1] == ',' ? o - 1 : o;
}

/* The sync search, from the stored cookie unless reload. */
static int
start_search(struct session *s, const char *uri, bool reload, char *err)
{
	uint8_t cookie[FLEET_COOKIE_MAX];
	struct cookie_read cr = { cookie, 0 };
	struct berval ck, val;
	BerElement *ber;
	LDAPControl ctrl = { 0 }, *ctrls[2] = { &ctrl, NULL };
	char f[2048];
	int rc,
	    mode = s->d->once ? LDAP_SYNC_REFRESH_ONLY :
	                        LDAP_SYNC_REFRESH_AND_PERSIST;

	if (!reload && (rc = store_read(s->d->st, cookie_fn, &cr, err)) < 0)
		return rc;
	if ((ber = ber_alloc_t(LBER_USE_DER)) == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	ck.bv_val = (char *)cookie;
	ck.bv_len = consumer_cookie(cookie, cr.len);
	memcpy(s->sent, cookie, ck.bv_len);
	s->sent_len = ck.bv_len;
	rc = ber_printf(ber, "{e", (ber_int_t)mode);
	if (rc != -1 && cr.len > 0)
		rc = ber_printf(ber, "O", &ck);
	if (rc != -1)
		rc = ber_printf(ber, "N}");
	if (rc == -1 || ber_flatten2(ber, &val, 0) == -1) {
		ber_free(ber, 1);
		return err_set(err, ERR_NOMEM,
		    "cannot encode the sync request");
	}
	ctrl.ldctl_oid = (char *)LDAP_CONTROL_SYNC;
	ctrl.ldctl_value = val;
	ctrl.ldctl_iscritical = 1;
	filter(s->d, f, sizeof(f));
	rc = ldap_search_ext(s->ld, s->d->conf.fleet_base, LDAP_SCOPE_SUBTREE,
	    f, (char **)attrs, 0, ctrls, NULL, NULL, 0, &s->msgid);
	ber_free(ber, 1);
	if (rc != LDAP_SUCCESS)
		return lderr(err, uri, "sync search", rc);
	batch_reset(&s->b);
	s->refreshing = true;
	s->reloading = cr.len == 0;
	/*
	 * Without a cookie the refresh is a full copy, whichever phase the
	 * provider ends it with (syncprov says refreshDelete): what it does
	 * not send is gone.
	 */
	s->b.sweep = s->reloading;
	/* A reload forgets the refused cookie even if it ends with none. */
	s->b.new_cookie = reload;
	s->b.cookie_len = 0;
	syslog(LOG_INFO, "%s: %s from %s", uri,
	    cr.len > 0 ? "resuming" : "full reload", s->d->conf.fleet_base);
	return 0;
}

static int
commit(struct session *s, char *err)
{
	return batch_commit(s->d->st, &s->b, time(NULL), err);
}

/* After a message: commit unless a refresh is still under way. */
static int
settle(struct session *s, char *err)
{
	return s->refreshing ? 0 : commit(s, err);
}

/* The csn= value of an OpenLDAP cookie (rid=R,sid=S,csn=CSN;CSN...). */
static const uint8_t *
csn_list(const uint8_t *c, size_t len, size_t *n)
{
	const uint8_t *end = c + len, *comma;

	while (c < end && ((size_t)(end - c) < 4 || memcmp(c, "csn=", 4) != 0))
		c = (comma = memchr(c, ',', (size_t)(end - c))) ? comma + 1 :
		                                                  end;
	if (c == end)
		return NULL;
	c += 4;
	comma = memchr(c, ',', (size_t)(end - c));
	*n = (size_t)((comma != NULL ? comma : end) - c);
	return c;
}

/* The CSN of the server id of ours in list (n bytes), or NULL. */
static const uint8_t *
csn_of_sid(const uint8_t *list, size_t n, const uint8_t *ours)
{
	for (size_t i = 0; i + CSN_LEN <= n; i += CSN_LEN + 1)
		if (memcmp(list + i + CSN_SID, ours + CSN_SID, 3) == 0)
			return list + i;
	return NULL;
}

/*
 * True when the provider's state, by the cookie that ends its refresh,
 * is older than the cookie this host began with for some server id:
 * restored from a backup, or a mirror peer not caught up yet.  What it
 * sent against the host's cookie then need not name all that changed.
 */
static bool
provider_behind(const struct session *s)
{
	const uint8_t *ours, *theirs, *t;
	size_t on, tn;

	if (s->sent_len == 0 || !s->b.new_cookie ||
	    (ours = csn_list(s->sent, s->sent_len, &on)) == NULL ||
	    (theirs = csn_list(s->b.cookie, s->b.cookie_len, &tn)) == NULL)
		return false;
	for (size_t i = 0; i + CSN_LEN <= on; i += CSN_LEN + 1)
		if ((t = csn_of_sid(theirs, tn, ours + i)) == NULL ||
		    memcmp(t, ours + i, CSN_LEN) < 0)
			return true;
	return false;
}

/*
 * A refresh ended: 1 when the provider is behind (the caller reloads in
 * full, nothing of this refresh applied), else commit it.
 */
static int
refresh_end(struct session *s, char *err)
{
	if (provider_behind(s)) {
		syslog(LOG_NOTICE,
		    "%s: the provider's state is older than this host's "
		    "cookie (restored from a backup, or a peer not caught up)",
		    s->uri);
		return 1;
	}
	return commit(s, err);
}

/* c fits place f of a CSN's form: d a digit, x a hex digit, else f. */
static bool
csn_char(char f, char c)
{
	switch (f) {
	case 'd':
		return c >= '0' && c <= '9';
	case 'x':
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
	default:
		return c == f;
	}
}

/* The entryCSN of e into csn: 0, or -1 when it has none or a bad one. */
static int
entry_csn(LDAP *ld, LDAPMessage *e, char csn[CSN_LEN + 1])
{
	static const char form[] = "dddddddddddddd.ddddddZ#xxxxxx#xxx#xxxxxx";
	struct berval **v = ldap_get_values_len(ld, e, "entryCSN");
	int rc = -1;

	if (v != NULL && v[0] != NULL && v[0]->bv_len == CSN_LEN) {
		rc = 0;
		for (size_t i = 0; i < CSN_LEN; i++)
			if (!csn_char(form[i], v[0]->bv_val[i]))
				rc = -1;
		memcpy(csn, v[0]->bv_val, CSN_LEN);
		csn[CSN_LEN] = '\0';
	}
	ldap_value_free_len(v);
	return rc;
}

/* Never half a token: what cannot be read is gone. */
static int
refuse(struct session *s, LDAPMessage *m, const char *uuid, const char *csn,
    const char *why, char *err)
{
	char *dn = ldap_get_dn(s->ld, m);

	syslog(LOG_ERR, "%s refused: %s", dn ? dn : "entry", why);
	ldap_memfree(dn);
	return batch_change(&s->b, (const uint8_t *)uuid, NULL, csn, err);
}

static int
on_entry(struct session *s, LDAPMessage *m, char *err)
{
	LDAPControl **ctrls = NULL, *ctl;
	BerElement *ber = NULL;
	struct berval uuid, cookie;
	ber_int_t state;
	struct record r;
	char why[ERR_MAX], csn[CSN_LEN + 1];
	int rc = 0;

	if (ldap_get_entry_controls(s->ld, m, &ctrls) != LDAP_SUCCESS ||
	    (ctl = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL)) ==
	        NULL ||
	    (ber = ber_init(&ctl->ldctl_value)) == NULL ||
	    ber_scanf(ber, "{em", &state, &uuid) == LBER_ERROR ||
	    uuid.bv_len != FLEET_UUID_LEN) {
		rc = err_set(err, ERR_INVAL, "an entry without a sync state");
		goto out;
	}
	if (ber_peek_tag(ber, &(ber_len_t){ 0 }) == LDAP_TAG_SYNC_COOKIE &&
	    ber_scanf(ber, "m", &cookie) != LBER_ERROR &&
	    (rc = batch_set_cookie(&s->b, &cookie, err)) < 0)
		goto out;
	switch (state) {
	case LDAP_SYNC_PRESENT:
		rc = batch_seen(&s->b, (uint8_t *)uuid.bv_val, err);
		break;
	case LDAP_SYNC_ADD:
	case LDAP_SYNC_MODIFY:
		if (entry_csn(s->ld, m, csn) < 0) {
			rc = refuse(s, m, uuid.bv_val, NULL,
			    "no entryCSN, or a bad one", err);
			break;
		}
		if (entry_record(s->ld, m, &r, why) < 0) {
			rc = refuse(s, m, uuid.bv_val, csn, why, err);
			break;
		}
		rc = batch_change(&s->b, (uint8_t *)uuid.bv_val, &r, csn, err);
		break;
	case LDAP_SYNC_DELETE:
		rc = batch_change(&s->b, (uint8_t *)uuid.bv_val, NULL, NULL,
		    err);
		break;
	default:
		rc = err_set(err, ERR_INVAL, "unknown sync state %d",
		    (int)state);
	}
	if (rc == 0)
		rc = settle(s, err);
out:
	if (ber != NULL)
		ber_free(ber, 1);
	ldap_controls_free(ctrls);
	return rc;
}

/* Optional cookie, then an optional boolean (tag 0x01), of a sequence. */
static int
cookie_and_flag(struct session *s, BerElement *ber, ber_int_t *flag, char *err)
{
	struct berval cookie;
	ber_len_t len;
	int rc;

	if (ber_scanf(ber, "{") == LBER_ERROR)
		return err_set(err, ERR_INVAL, "bad sync info");
	if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE) {
		if (ber_scanf(ber, "m", &cookie) == LBER_ERROR)
			return err_set(err, ERR_INVAL, "bad sync cookie");
		if ((rc = batch_set_cookie(&s->b, &cookie, err)) < 0)
			return rc;
	}
	if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDONE &&
	    ber_scanf(ber, "b", flag) == LBER_ERROR)
		return err_set(err, ERR_INVAL, "bad sync info");
	return 0;
}

static int
on_intermediate(struct session *s, LDAPMessage *m, char *err)
{
	char *oid = NULL;
	struct berval *data = NULL, cookie;
	BerVarray uuids = NULL;
	BerElement *ber = NULL;
	ber_len_t len;
	ber_tag_t tag;
	ber_int_t done = 1, deletes = 0;
	bool was_refreshing = s->refreshing;
	int changes = s->b.n, rc = 0;

	if (ldap_parse_intermediate(s->ld, m, &oid, &data, NULL, 0) !=
	        LDAP_SUCCESS ||
	    oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0 || data == NULL ||
	    (ber = ber_init(data)) == NULL) {
		rc =
		    err_set(err, ERR_INVAL, "unexpected intermediate response");
		goto out;
	}
	switch ((tag = ber_peek_tag(ber, &len))) {
	case LDAP_TAG_SYNC_NEW_COOKIE:
		if (ber_scanf(ber, "m", &cookie) == LBER_ERROR)
			rc = err_set(err, ERR_INVAL, "bad sync cookie");
		else
			rc = batch_set_cookie(&s->b, &cookie, err);
		break;
	case LDAP_TAG_SYNC_REFRESH_DELETE:
	case LDAP_TAG_SYNC_REFRESH_PRESENT:
		if ((rc = cookie_and_flag(s, ber, &done, err)) < 0)
			break;
		if (tag == LDAP_TAG_SYNC_REFRESH_PRESENT)
			s->b.sweep = true;
		if (done)
			s->refreshing = false;
		break;
	case LDAP_TAG_SYNC_ID_SET:
		if ((rc = cookie_and_flag(s, ber, &deletes, err)) < 0)
			break;
		if (ber_scanf(ber, "[W]", &uuids) == LBER_ERROR) {
			rc = err_set(err, ERR_INVAL, "bad syncIdSet");
			break;
		}
		for (size_t i = 0;
		     uuids != NULL && uuids[i].bv_val != NULL && rc == 0; i++) {
			if (uuids[i].bv_len != FLEET_UUID_LEN)
				rc = err_set(err, ERR_INVAL, "bad entryUUID");
			else if (deletes)
				rc = batch_change(&s->b,
				    (uint8_t *)uuids[i].bv_val, NULL, NULL,
				    err);
			else
				rc = batch_seen(&s->b,
				    (uint8_t *)uuids[i].bv_val, err);
		}
		ber_bvarray_free(uuids);
		break;
	default:
		rc = err_set(err, ERR_INVAL, "unknown sync info");
	}
	if (rc == 0)
		rc = was_refreshing && !s->refreshing ? refresh_end(s, err) :
		                                        settle(s, err);
	if (rc == 0 && was_refreshing && !s->refreshing) {
		s->applied = true;
		syslog(LOG_INFO, "%s: refresh applied (%d changes), persisting",
		    s->uri, changes);
	}
out:
	if (ber != NULL)
		ber_free(ber, 1);
	ldap_memfree(oid);
	ber_bvfree(data);
	return rc;
}

/* 1: the provider wants a reload; 0: a refreshOnly search is done. */
static int
on_done(struct session *s, LDAPMessage *m, const char *uri, char *err)
{
	LDAPControl **ctrls = NULL, *ctl;
	BerElement *ber = NULL;
	struct berval cookie;
	ber_len_t len;
	ber_int_t deletes = 0;
	bool was_refreshing = s->refreshing;
	int lrc, rc = 0;

	if (ldap_parse_result(s->ld, m, &lrc, NULL, NULL, NULL, &ctrls, 0) !=
	    LDAP_SUCCESS)
		return err_set(err, ERR_INVAL, "%s: bad search result", uri);
	/* A cookie the provider cannot use, said in one of these ways. */
	if (lrc == LDAP_SYNC_REFRESH_REQUIRED ||
	    (!s->reloading &&
	        (lrc == LDAP_X_SYNC_REFRESH_REQUIRED ||
	            lrc == LDAP_PROTOCOL_ERROR ||
	            lrc == LDAP_UNWILLING_TO_PERFORM))) {
		syslog(LOG_NOTICE, "%s: the provider refused the cookie (%s)",
		    uri, ldap_err2string(lrc));
		ldap_controls_free(ctrls);
		return 1;
	}
	if (lrc != LDAP_SUCCESS) {
		ldap_controls_free(ctrls);
		return lderr(err, uri, "sync search", lrc);
	}
	if ((ctl = ldap_control_find(LDAP_CONTROL_SYNC_DONE, ctrls, NULL)) !=
	        NULL &&
	    (ber = ber_init(&ctl->ldctl_value)) != NULL &&
	    ber_scanf(ber, "{") != LBER_ERROR) {
		if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
		    ber_scanf(ber, "m", &cookie) != LBER_ERROR)
			rc = batch_set_cookie(&s->b, &cookie, err);
		if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDELETES)
			ber_scanf(ber, "b", &deletes);
	}
	/* refreshDeletes FALSE: a present phase, the rest is gone */
	if (!deletes)
		s->b.sweep = true;
	s->refreshing = false;
	if (rc == 0)
		rc = was_refreshing ? refresh_end(s, err) : commit(s, err);
	if (ber != NULL)
		ber_free(ber, 1);
	ldap_controls_free(ctrls);
	s->done = s->d->once && rc == 0;
	if (rc == 0 && !s->d->once)
		rc = err_set(err, ERR_UNAVAIL,
		    "%s: the provider ended the "
		    "sync search",
		    uri);
	return rc;
}

/*
 * A cheap read on the same connection, so that a quiet stream still
 * proves the provider alive; the contact time is written with it.
 */
static int
probe(struct session *s, const char *uri, char *err)
{
	LDAPMessage *res = NULL;
	struct timeval tv = { 5, 0 };
	int rc;

	rc = ldap_search_ext_s(s->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char *[]){ "1.1", NULL }, 0, NULL, NULL, &tv, 1, &res);
	ldap_msgfree(res);
	if (rc != LDAP_SUCCESS)
		return lderr(err, uri, "keep-alive", rc);
	return s->refreshing ? 0 : commit(s, err);
}

int
sync_session(struct syncd *d, const char *uri, char *err)
{
	struct session s = { .d = d, .uri = uri, .msgid = -1 };
	LDAPMessage *m = NULL;
	struct timeval tv = { 1, 0 };
	time_t last = time(NULL);
	bool reload = false;
	int rc, type;

	if ((rc = connect_bind(&s, uri, err)) < 0)
		goto out;
	syslog(LOG_INFO, "%s: connected as %s", uri, d->conf.fleet_bind_dn);
again:
	if ((rc = start_search(&s, uri, reload, err)) < 0)
		goto out;
	while (!*d->stop) {
		tv.tv_sec = 1;
		tv.tv_usec = 0;
		rc = ldap_result(s.ld, s.msgid, LDAP_MSG_ONE, &tv, &m);
		if (rc == 0) {
			if (time(NULL) - last >= d->probe_interval) {
				if ((rc = probe(&s, uri, err)) < 0)
					goto out;
				last = time(NULL);
			}
			continue;
		}
		if (rc < 0) {
			int e = LDAP_OTHER;
			ldap_get_option(s.ld, LDAP_OPT_RESULT_CODE, &e);
			rc = lderr(err, uri, "connection", e);
			goto out;
		}
		last = time(NULL);
		switch ((type = ldap_msgtype(m))) {
		case LDAP_RES_SEARCH_ENTRY:
			rc = on_entry(&s, m, err);
			break;
		case LDAP_RES_INTERMEDIATE:
			rc = on_intermediate(&s, m, err);
			break;
		case LDAP_RES_SEARCH_RESULT:
			rc = on_done(&s, m, uri, err);
			break;
		default:
			rc = 0;
		}
		ldap_msgfree(m);
		m = NULL;
		if (rc == 1) {
			/* what arrived against the cookie is dropped unapplied
			 */
			if (type != LDAP_RES_SEARCH_RESULT)
				ldap_abandon_ext(s.ld, s.msgid, NULL, NULL);
			syslog(LOG_NOTICE, "%s: full reload", uri);
			reload = true;
			goto again;
		}
		if (rc < 0 || s.done)
			goto out;
	}
	rc = 0;
out:
	ldap_msgfree(m);
	batch_free(&s.b);
	if (s.ld != NULL)
		ldap_unbind_ext_s(s.ld, NULL, NULL);
	return rc < 0 && s.applied ? SYNC_LOST : rc;
}
