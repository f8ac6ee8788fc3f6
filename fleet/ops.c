/* SPDX-License-Identifier: ISC */
/*
 * ops.c - the commands of apitoken-fleet against the directory.
 *
 * The secret of a new or rotated token is made here (token_generate) and
 * only its BLAKE2b-256 hash is sent; the token is printed once, on
 * stdout, and wiped.  Every change of an entry moves apitokenRevision by
 * one through a test-and-set modify (delete the value read, add the
 * next), so two changes made at once never both apply to the same state:
 * the second reads again.  What the directory refuses is its decision:
 * its access rules say who may write what (ldap/provider.ldif).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium/utils.h>

#include "cidr.h"
#include "err.h"
#include "fleet.h"
#include "input.h"
#include "token.h"
#include "when.h"

#define CHANGE_TRIES 8

static const char *const attrs[] = { "*", "createTimestamp", "modifyTimestamp",
	"creatorsName", "modifiersName", NULL };

/* The token entries matching filter under fleet_base, as records. */
static int
search(struct fleet *f, const char *filter, struct record **out, int *n,
    char *err)
{
	LDAPMessage *res = NULL, *e;
	char dn[FLEET_DN_MAX];
	int rc, cap;

	*out = NULL;
	*n = 0;
	rc = ldap_search_ext_s(f->ld, f->conf.fleet_base, LDAP_SCOPE_SUBTREE,
	    filter, (char **)attrs, 0, NULL, NULL, NULL, 0, &res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return 0; /* nothing visible to this identity */
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return fleet_lderr(f, err, ERR_UNAVAIL, f->conf.fleet_base, rc);
	}
	cap = ldap_count_entries(f->ld, res);
	if (cap > 0 && (*out = calloc((size_t)cap, sizeof(**out))) == NULL) {
		ldap_msgfree(res);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	for (e = ldap_first_entry(f->ld, res); e != NULL && *n < cap;
	     e = ldap_next_entry(f->ld, e))
		if (entry_record(f->ld, e, &(*out)[*n], dn, err) == 0)
			(*n)++;
		else
			fprintf(stderr, "apitoken-fleet: skipped: %s\n", err);
	ldap_msgfree(res);
	return 0;
}

/*
 * The one token what (an id, or a name: among owner's when given) names;
 * ERR_NOTFOUND or ERR_EXISTS (ambiguous) with the reason in err.
 */
static int
find(struct fleet *f, const char *what, const char *owner, struct record *r,
    char *err)
{
	char filter[256], own[USER_MAX_LEN + 32] = "", ids[128] = "";
	struct record *v;
	size_t used = 0;
	int rc, n;

	if (owner != NULL) {
		if (!input_valid_name(owner))
			return err_set(err, ERR_INVAL,
			    "--user '%.64s' is not a user name", owner);
		snprintf(own, sizeof(own), "(apitokenOwner=%s)", owner);
	}
	if (token_id_valid(what))
		snprintf(filter, sizeof(filter),
		    "(&(objectClass=apitoken)(apitokenId=%s)%s)", what, own);
	else if (input_valid_name(what))
		snprintf(filter, sizeof(filter),
		    "(&(objectClass=apitoken)(cn=%s)%s)", what, own);
	else
		return err_set(err, ERR_INVAL,
		    "'%.64s' is neither a token id nor a name", what);
	if ((rc = search(f, filter, &v, &n, err)) < 0)
		return rc;
	if (n == 1)
		*r = v[0];
	for (int i = 0; i < n && used < sizeof(ids); i++)
		used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%s",
		    i ? ", " : "", v[i].id);
	free(v);
	if (n == 0)
		return err_set(err, ERR_NOTFOUND,
		    "no fleet token %s%s%s that %s may see", what,
		    owner != NULL ? " of " : "", owner != NULL ? owner : "",
		    f->bind_dn);
	if (n > 1)
		return err_set(err, ERR_EXISTS,
		    "%d fleet tokens are named %s (%s): name one by its id, or "
		    "add --user",
		    n, what, ids);
	return 0;
}

/* A modify of r's entry that also moves apitokenRevision on by one. */
static int
modify(struct fleet *f, const struct record *r, LDAPMod **extra, char *err)
{
	char dn[FLEET_DN_MAX], old[24], new[24];
	char *oldv[] = { old, NULL }, *newv[] = { new, NULL };
	LDAPMod del = { LDAP_MOD_DELETE, (char *)"apitokenRevision",
		{ .modv_strvals = oldv } },
	        add = { LDAP_MOD_ADD, (char *)"apitokenRevision",
		        { .modv_strvals = newv } };
	LDAPMod *mods[8];
	int n = 0, rc;

	entry_dn(f, r->id, dn);
	snprintf(old, sizeof(old), "%llu", (unsigned long long)r->revision);
	snprintf(new, sizeof(new), "%llu", (unsigned long long)r->revision + 1);
	if (r->revision > 0)
		mods[n++] = &del;
	mods[n++] = &add;
	for (int i = 0; extra[i] != NULL && n < 7; i++)
		mods[n++] = extra[i];
	mods[n] = NULL;
	rc = ldap_modify_ext_s(f->ld, dn, mods, NULL, NULL);
	if (rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_TYPE_OR_VALUE_EXISTS)
		return ERR_EXISTS; /* changed meanwhile: read again */
	if (rc == LDAP_INSUFFICIENT_ACCESS)
		return err_set(err, ERR_PERM,
		    "the directory does not let %s change %s: a self-service "
		    "identity changes only its own tokens, never a service "
		    "user's",
		    f->bind_dn, r->id);
	if (rc != LDAP_SUCCESS)
		return fleet_lderr(f, err, ERR_UNAVAIL, dn, rc);
	return 0;
}

/* Options shared by the commands; which one takes which is in allow. */
struct args {
	const char *what, *owner, *expires, *grace, *ldif;
	bool service_user;
	struct record r;
};

enum {
	O_USER = 1 << 0,
	O_JSON = 1 << 1,
	O_MAKE = 1 << 2, /* create's description, services, hosts, ... */
	O_GRACE = 1 << 3,
};

static int
parse(struct fleet *f, int argc, char **argv, unsigned allow, struct args *a)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "description", required_argument, NULL, 'd' },
		{ "expires", required_argument, NULL, 'e' },
		{ "service", required_argument, NULL, 's' },
		{ "permission", required_argument, NULL, 'p' },
		{ "allow-from", required_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "service-user", no_argument, NULL, 'S' },
		{ "ldif", required_argument, NULL, 'l' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *bad, *why;
	struct strlist *l;
	struct cidr block;
	int ch;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (optarg != NULL && (bad = input_problem(optarg)) != NULL)
			return fail(EXIT_USAGE, "--%s: %s",
			    input_opt_name(opts, ch), bad);
		if ((ch == 'u' && !(allow & O_USER)) ||
		    (ch == 'j' && !(allow & O_JSON)) ||
		    (ch == 'g' && !(allow & O_GRACE)) ||
		    (strchr("despaHSl", ch) != NULL && ch != 0 &&
		        !(allow & O_MAKE)))
			return fail(EXIT_USAGE, "%s takes no --%s", cmd,
			    input_opt_name(opts, ch));
		switch (ch) {
		case 'u':
			a->owner = optarg;
			break;
		case 'j':
			f->json = true;
			break;
		case 'd':
			if (!input_valid_text(optarg) ||
			    field_set(a->r.description,
			        sizeof(a->r.description), optarg) < 0)
				return fail(EXIT_USAGE,
				    "--description: at most %d bytes of "
				    "printable UTF-8",
				    DESC_MAX_LEN);
			break;
		case 'e':
			a->expires = optarg;
			break;
		case 's':
		case 'p':
		case 'H':
			l = ch == 's' ? &a->r.services :
			    ch == 'p' ? &a->r.permissions :
			                &a->r.hosts;
			if (!input_valid_item(optarg) ||
			    strlist_add(l, optarg) < 0)
				return fail(EXIT_USAGE,
				    "--%s '%.64s': at most %d of them, each "
				    "letters, digits and _ . : - *",
				    input_opt_name(opts, ch), optarg, LIST_MAX);
			break;
		case 'a':
			if (cidr_parse(optarg, &block, &why) < 0)
				return fail(EXIT_USAGE,
				    "--allow-from '%.64s': %s", optarg, why);
			if (strlist_add(&a->r.allowed_addresses, optarg) < 0)
				return fail(EXIT_USAGE,
				    "--allow-from: at most %d blocks",
				    LIST_MAX);
			break;
		case 'S':
			a->service_user = true;
			break;
		case 'l':
			a->ldif = optarg;
			break;
		case 'g':
			a->grace = optarg;
			break;
		case 'h':
			printf("see apitoken-fleet --help and "
			       "apitoken-fleet(8)\n");
			exit(0);
		default:
			return fail(EXIT_USAGE,
			    "%s: unknown or incomplete option '%.32s'; see "
			    "apitoken-fleet --help",
			    cmd, argv[optind - 1]);
		}
	}
	if (optind == argc - 1)
		a->what = argv[optind];
	else if (optind != argc || strcmp(cmd, "list") != 0)
		return fail(EXIT_USAGE,
		    "%s takes %s; see apitoken-fleet --help", cmd,
		    strcmp(cmd, "list") == 0       ? "no argument" :
		        strcmp(cmd, "create") == 0 ? "one NAME" :
		                                     "one ID or NAME");
	if (a->what != NULL && (bad = input_problem(a->what)) != NULL)
		return fail(EXIT_USAGE, "%s: %s", cmd, bad);
	return 0;
}

static int
begin(struct fleet *f)
{
	char err[ERR_MAX];

	if (fleet_connect(f, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	return 0;
}

/* What apitoken's create says, on stderr: stdout is the token alone. */
static void
created_line(const struct record *r)
{
	char when[WHEN_BUF];

	fprintf(stderr,
	    "apitoken-fleet: created fleet token %s '%s' for %s%s, expires "
	    "%s; this is the only time it is shown\n",
	    r->id, r->name, r->user,
	    r->service_user ? " (new service user)" : "",
	    when_format(r->expires_at, when));
}

/* No other token of the owner has the name; a service user is new. */
static int
create_unique(struct fleet *f, const struct record *r, char *err)
{
	char filter[256];
	struct record *v;
	int n, rc;

	if (r->service_user)
		snprintf(filter, sizeof(filter),
		    "(&(objectClass=apitoken)(apitokenOwner=%s))", r->user);
	else
		snprintf(filter, sizeof(filter),
		    "(&(objectClass=apitoken)(apitokenOwner=%s)(cn=%s))",
		    r->user, r->name);
	if ((rc = search(f, filter, &v, &n, err)) < 0)
		return rc;
	free(v);
	if (n > 0 && r->service_user)
		return err_set(err, ERR_EXISTS,
		    "%s already owns fleet tokens: a service user needs a "
		    "name of its own",
		    r->user);
	if (n > 0)
		return err_set(err, ERR_EXISTS,
		    "%s already has a fleet token named '%s'", r->user,
		    r->name);
	return 0;
}

int
cmd_create(struct fleet *f, int argc, char **argv)
{
	struct args a;
	struct record *r = &a.r;
	struct token t;
	char tok[TOKEN_LEN + 1] = "", err[ERR_MAX], dn[FLEET_DN_MAX];
	LDAPMod **mods = NULL;
	FILE *out = NULL;
	int fd, rc;

	if ((rc = parse(f, argc, argv, O_USER | O_JSON | O_MAKE, &a)) != 0)
		return rc;
	if (!input_valid_name(a.what))
		return fail(EXIT_USAGE,
		    "invalid name '%.64s': use a-z, 0-9, _ and -, starting "
		    "with a letter or _, at most %d",
		    a.what, NAME_MAX_LEN);
	strcpy(r->name, a.what);
	if (a.owner == NULL && !a.service_user)
		return fail(EXIT_USAGE,
		    "create needs --user USER, or --service-user for a "
		    "service user named %s",
		    r->name);
	if (a.owner != NULL && !input_valid_name(a.owner))
		return fail(EXIT_USAGE, "--user '%.64s' is not a user name",
		    a.owner);
	strcpy(r->user, a.owner != NULL ? a.owner : r->name);
	r->service_user = a.service_user;
	if (r->hosts.n == 0)
		return fail(EXIT_USAGE,
		    "create needs --host HOST|GROUP (or --host '*' for every "
		    "host): where the token is valid");
	if (a.ldif != NULL && r->service_user)
		return fail(EXIT_USAGE,
		    "--ldif cannot take a uid from the directory's pool: "
		    "create service users without --ldif");
	if (a.expires == NULL)
		r->expires_at = f->conf.default_lifetime ?
		    f->now + f->conf.default_lifetime :
		    0;
	else if (when_parse_expiry(a.expires, f->now, &r->expires_at, err) < 0)
		return fail(EXIT_USAGE, "%s", err);
	if (f->conf.max_lifetime != 0 &&
	    (r->expires_at == 0 ||
	        r->expires_at - f->now > f->conf.max_lifetime))
		return fail(EXIT_REFUSED,
		    "expiry beyond the maximum lifetime of %lld days set in %s",
		    (long long)(f->conf.max_lifetime / 86400), f->conf_path);
	r->status = STATUS_ACTIVE;
	r->origin = ORIGIN_FLEET;
	r->revision = 1;
	r->created_at = r->updated_at = f->now;
	strcpy(r->created_by, f->caller);
	strcpy(r->updated_by, f->caller);
	if (a.ldif != NULL) {
		/* Its own file, new: never one an earlier run left. */
		fd = open(a.ldif,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
			rc = fail(EXIT_REFUSED, "--ldif %s: %s", a.ldif,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc;
		}
	} else if ((rc = begin(f)) != 0)
		return rc;
	else if (create_unique(f, r, err) < 0 ||
	    (r->service_user && uid_take(f, &r->uid, err) < 0))
		return fail(EXIT_REFUSED, "%s", err);

	if (token_generate(&t, NULL, tok) < 0) {
		rc = fail(EXIT_REFUSED, "cannot get random bytes");
		goto out;
	}
	strcpy(r->id, t.id);
	token_hash(&t, r->hash);
	token_wipe(&t);
	entry_dn(f, r->id, dn);
	if (out != NULL) {
		rc = entry_write_ldif(out, dn, r, err);
		if (fclose(out) == EOF && rc == 0)
			rc = err_set(err, ERR_UNAVAIL, "cannot write the LDIF");
		out = NULL;
		if (rc < 0) {
			unlink(a.ldif);
			rc = fail(EXIT_REFUSED, "%s: %s", a.ldif, err);
			goto out;
		}
	} else {
		if ((mods = entry_add_mods(r)) == NULL) {
			rc = fail(EXIT_REFUSED, "out of memory");
			goto out;
		}
		rc = ldap_add_ext_s(f->ld, dn, mods, NULL, NULL);
		entry_mods_free(mods);
		if (rc == LDAP_INSUFFICIENT_ACCESS) {
			rc = fail(EXIT_REFUSED,
			    "the directory does not let %s create this token: "
			    "a self-service identity creates tokens for "
			    "itself only (--user with its own name), never "
			    "service users or sudo tokens",
			    f->bind_dn);
			goto out;
		}
		if (rc != LDAP_SUCCESS) {
			fleet_lderr(f, err, ERR_UNAVAIL, dn, rc);
			rc = fail(EXIT_REFUSED, "%s", err);
			goto out;
		}
	}
	if (f->json)
		rc = entry_print(f, r, dn, tok);
	else {
		rc = 0;
		if (printf("%s\n", tok) < 0 || fflush(stdout) == EOF)
			rc = fail(EXIT_REFUSED, "cannot write the output");
		else
			created_line(r);
		if (a.ldif != NULL)
			fprintf(stderr,
			    "apitoken-fleet: %s holds its entry (the hash "
			    "only): ldapmodify -f %s adds it\n",
			    a.ldif, a.ldif);
	}
out:
	if (out != NULL)
		fclose(out);
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

/*
 * suspend, activate (resume), revoke: the status a token must have
 * (ANY: any) and the one it gets.
 */
#define ANY -1
static const struct action {
	const char *name;
	int from;
	enum record_status to;
} actions[] = {
	{ "suspend", STATUS_ACTIVE, STATUS_SUSPENDED },
	{ "activate", STATUS_SUSPENDED, STATUS_ACTIVE },
	{ "resume", STATUS_SUSPENDED, STATUS_ACTIVE },
	{ "revoke", ANY, STATUS_REVOKED },
};

static int
change_status(struct fleet *f, const struct action *act, struct args *a)
{
	char err[ERR_MAX], *status[2] = { NULL, NULL };
	LDAPMod set = { LDAP_MOD_REPLACE, (char *)"apitokenStatus",
		{ .modv_strvals = status } };
	LDAPMod *extra[] = { &set, NULL };
	struct record r;
	int rc = ERR_EXISTS;

	for (int i = 0; i < CHANGE_TRIES && rc == ERR_EXISTS; i++) {
		if ((rc = find(f, a->what, a->owner, &r, err)) < 0)
			return fail(EXIT_REFUSED, "%s", err);
		if (act->from != ANY && (int)r.status != act->from)
			return fail(EXIT_REFUSED,
			    "fleet token %s is %s, not %s", r.id,
			    record_status_name(r.status),
			    record_status_name(act->from));
		if (r.status == act->to)
			return fail(EXIT_REFUSED,
			    "fleet token %s is already %s", r.id,
			    record_status_name(r.status));
		status[0] = (char *)record_status_name(act->to);
		rc = modify(f, &r, extra, err);
	}
	if (rc < 0)
		return fail(EXIT_REFUSED, "%s",
		    rc == ERR_EXISTS ? "the token keeps changing; try again" :
		                       err);
	if (find(f, r.id, NULL, &r, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	if (f->json) {
		char dn[FLEET_DN_MAX];

		entry_dn(f, r.id, dn);
		return entry_print(f, &r, dn, NULL);
	}
	fprintf(stderr,
	    "apitoken-fleet: fleet token %s '%s' is %s in the directory; "
	    "each host follows as its apitoken-syncd hears of it\n",
	    r.id, r.name, record_status_name(r.status));
	return 0;
}

static int
remove_entry(struct fleet *f, struct args *a)
{
	char err[ERR_MAX], dn[FLEET_DN_MAX];
	struct record r;
	int rc;

	if (find(f, a->what, a->owner, &r, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	entry_dn(f, r.id, dn);
	rc = ldap_delete_ext_s(f->ld, dn, NULL, NULL);
	if (rc == LDAP_INSUFFICIENT_ACCESS)
		return fail(EXIT_REFUSED,
		    "the directory does not let %s delete %s: a self-service "
		    "identity deletes only its own tokens",
		    f->bind_dn, r.id);
	if (rc != LDAP_SUCCESS) {
		fleet_lderr(f, err, ERR_UNAVAIL, dn, rc);
		return fail(EXIT_REFUSED, "%s", err);
	}
	r.status = STATUS_DELETED;
	if (f->json)
		return entry_print(f, &r, dn, NULL);
	fprintf(stderr, "apitoken-fleet: fleet token %s '%s' is deleted%s\n",
	    r.id, r.name,
	    r.service_user ? "; its uid stays taken: the pool never hands "
	                     "a uid out again" :
	                     "");
	return 0;
}

int
cmd_change(struct fleet *f, int argc, char **argv)
{
	struct args a;
	int rc;

	if ((rc = parse(f, argc, argv, O_USER | O_JSON, &a)) != 0)
		return rc;
	if ((rc = begin(f)) != 0)
		return rc;
	if (strcmp(argv[0], "delete") == 0)
		return remove_entry(f, &a);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, argv[0]) == 0)
			return change_status(f, &actions[i], &a);
	return fail(EXIT_USAGE, "unknown command '%.32s'", argv[0]);
}

int
cmd_rotate(struct fleet *f, int argc, char **argv)
{
	char err[ERR_MAX], dn[FLEET_DN_MAX], tok[TOKEN_LEN + 1] = "", until[16];
	struct berval hash, grace, *hashv[] = { &hash, NULL },
	                           *gracev[] = { &grace, NULL };
	char *untilv[] = { until, NULL };
	LDAPMod set = { LDAP_MOD_REPLACE | LDAP_MOD_BVALUES,
		(char *)"apitokenSecretHash", { .modv_bvals = hashv } },
	        old = { LDAP_MOD_REPLACE | LDAP_MOD_BVALUES,
		        (char *)"apitokenGraceHash", { .modv_bvals = gracev } },
	        end = { LDAP_MOD_REPLACE, (char *)"apitokenGraceNotAfter",
		        { .modv_strvals = untilv } };
	LDAPMod *extra[] = { &set, &old, &end, NULL };
	uint8_t prev[TOKEN_HASH_LEN];
	int64_t span = 0;
	struct token t;
	struct record r;
	struct args a;
	int rc;

	if ((rc = parse(f, argc, argv, O_USER | O_JSON | O_GRACE, &a)) != 0)
		return rc;
	if (a.grace != NULL && when_parse_duration(a.grace, &span, err) < 0)
		return fail(EXIT_USAGE, "--grace: %s", err);
	if ((rc = begin(f)) != 0)
		return rc;
	rc = ERR_EXISTS;
	for (int i = 0; i < CHANGE_TRIES && rc == ERR_EXISTS; i++) {
		if ((rc = find(f, a.what, a.owner, &r, err)) < 0)
			return fail(EXIT_REFUSED, "%s", err);
		if (r.status != STATUS_ACTIVE && r.status != STATUS_SUSPENDED)
			return fail(EXIT_REFUSED,
			    "fleet token %s is %s: create a new one", r.id,
			    record_status_name(r.status));
		if (token_generate(&t, r.id, tok) < 0)
			return fail(EXIT_REFUSED, "cannot get random bytes");
		/* The old secret works until then, or not at all. */
		memcpy(prev, r.hash, TOKEN_HASH_LEN);
		grace.bv_val = (char *)prev;
		grace.bv_len = TOKEN_HASH_LEN;
		gracev[0] = span > 0 ? &grace : NULL;
		entry_gentime(f->now + span, until);
		untilv[0] = span > 0 ? until : NULL;
		token_hash(&t, r.hash);
		token_wipe(&t);
		hash.bv_val = (char *)r.hash;
		hash.bv_len = TOKEN_HASH_LEN;
		rc = modify(f, &r, extra, err);
		if (rc == ERR_EXISTS)
			sodium_memzero(tok, sizeof(tok));
	}
	if (rc < 0) {
		sodium_memzero(tok, sizeof(tok));
		return fail(EXIT_REFUSED, "%s",
		    rc == ERR_EXISTS ? "the token keeps changing; try again" :
		                       err);
	}
	if (f->json) {
		if (find(f, r.id, NULL, &r, err) < 0)
			rc = fail(EXIT_REFUSED, "%s", err);
		else {
			entry_dn(f, r.id, dn);
			rc = entry_print(f, &r, dn, tok);
		}
	} else if (printf("%s\n", tok) < 0 || fflush(stdout) == EOF)
		rc = fail(EXIT_REFUSED, "cannot write the output");
	else {
		fprintf(stderr,
		    "apitoken-fleet: rotated fleet token %s '%s'%s; this is "
		    "the only time the new secret is shown\n",
		    r.id, r.name,
		    span > 0 ? ", the old secret works until the grace ends" :
		               ", the old secret no longer works");
		rc = 0;
	}
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

static int
by_name(const void *x, const void *y)
{
	const struct record *a = x, *b = y;
	int c = strcmp(a->user, b->user);

	if (c == 0)
		c = strcmp(a->name, b->name);
	return c != 0 ? c : strcmp(a->id, b->id);
}

int
cmd_list(struct fleet *f, int argc, char **argv)
{
	char err[ERR_MAX], filter[128] = "(objectClass=apitoken)";
	struct record *v;
	struct args a;
	int n, rc;

	if ((rc = parse(f, argc, argv, O_USER | O_JSON, &a)) != 0)
		return rc;
	if (a.owner != NULL) {
		if (!input_valid_name(a.owner))
			return fail(EXIT_USAGE,
			    "--user '%.64s' is not a user name", a.owner);
		snprintf(filter, sizeof(filter),
		    "(&(objectClass=apitoken)(apitokenOwner=%s))", a.owner);
	}
	if ((rc = begin(f)) != 0)
		return rc;
	if (search(f, filter, &v, &n, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), by_name);
	rc = entry_print_table(f, v, n);
	free(v);
	return rc;
}

int
cmd_show(struct fleet *f, int argc, char **argv)
{
	char err[ERR_MAX], dn[FLEET_DN_MAX];
	struct record r;
	struct args a;
	int rc;

	if ((rc = parse(f, argc, argv, O_USER | O_JSON, &a)) != 0)
		return rc;
	if ((rc = begin(f)) != 0)
		return rc;
	if (find(f, a.what, a.owner, &r, err) < 0)
		return fail(EXIT_REFUSED, "%s", err);
	entry_dn(f, r.id, dn);
	return entry_print(f, &r, dn, NULL);
}
