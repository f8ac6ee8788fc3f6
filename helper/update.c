/* SPDX-License-Identifier: ISC */
/*
 * update.c - apitoken update ID|NAME [options]
 *
 * Changes what a token may do without a new secret, id or service user:
 * expiry, services, permissions, allowed addresses, description.  A list
 * option replaces the whole list (--service a --service b); --no-service
 * (and --no-permission, --no-allow-from) empties it, which for services
 * means the configured default_services and for addresses "from anywhere".
 *
 * One committed record is the change PAM sees; the service user's account
 * expiry follows with chage afterwards.  Killed between the two, the
 * account expiry lags: logins are then refused by the account (never
 * allowed beyond the token), and running the same update again fixes it.
 *
 * Who may widen: root, whose change marks the limits as root's
 * (limits_uid).  A user managing a personal token may only narrow it (an
 * earlier expiry, fewer services, permissions or addresses), which keeps
 * the mark: narrowing root's limits leaves them root's, so a later rotate
 * --expires by the owner still cannot push the expiry past what root set.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "apitoken.h"
#include "cidr.h"
#include "err.h"
#include "when.h"

/* What the command line asks to change; a NULL/false member is "keep". */
struct want {
	const char *what;
	const char *expires;
	const char *description;
	bool set_services, set_permissions, set_addresses;
	struct strlist services, permissions, addresses;
};

static int
list_opt(const char *opt, bool *set, bool *cleared, struct strlist *l,
    const char *v)
{
	if (*cleared)
		return fail(EXIT_USAGE,
		    "--%s and --no-%s contradict each other", opt, opt);
	*set = true;
	if (strlist_contains(l, v))
		return 0;
	if (strlist_add(l, v) < 0)
		return fail(EXIT_USAGE,
		    "--%s: at most %d of them, each at most %d bytes", opt,
		    LIST_MAX, ITEM_MAX_LEN);
	return 0;
}

static int
parse(struct invocation *inv, int argc, char **argv, struct want *w)
{
	static const struct option opts[] = {
		{ "expires", required_argument, NULL, 'e' },
		{ "service", required_argument, NULL, 's' },
		{ "no-service", no_argument, NULL, 'S' },
		{ "permission", required_argument, NULL, 'p' },
		{ "no-permission", no_argument, NULL, 'P' },
		{ "allow-from", required_argument, NULL, 'a' },
		{ "no-allow-from", no_argument, NULL, 'A' },
		{ "description", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool no_s = false, no_p = false, no_a = false;
	struct cidr block;
	const char *why, *bad;
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (optarg != NULL && (bad = input_problem(optarg)) != NULL)
			return fail(EXIT_USAGE, "--%s: %s",
			    input_opt_name(opts, ch), bad);
		rc = 0;
		switch (ch) {
		case 'e':
			w->expires = optarg;
			break;
		case 's':
			if (!input_valid_item(optarg))
				return fail(EXIT_USAGE,
				    "--service '%.64s': letters, digits and _ "
				    ". : - * only "
				    "(to empty the list, use --no-service)",
				    optarg);
			rc = list_opt("service", &w->set_services, &no_s,
			    &w->services, optarg);
			break;
		case 'p':
			if (!input_valid_item(optarg))
				return fail(EXIT_USAGE,
				    "--permission '%.64s': letters, digits and "
				    "_ . : - * only "
				    "(to empty the list, use --no-permission)",
				    optarg);
			rc = list_opt("permission", &w->set_permissions, &no_p,
			    &w->permissions, optarg);
			break;
		case 'a':
			if (cidr_parse(optarg, &block, &why) < 0)
				return fail(EXIT_USAGE,
				    "--allow-from '%.64s': %s", optarg, why);
			rc = list_opt("allow-from", &w->set_addresses, &no_a,
			    &w->addresses, optarg);
			break;
		case 'S':
		case 'P':
		case 'A': {
			const char *opt = ch == 'S' ? "service" :
			    ch == 'P'               ? "permission" :
			                              "allow-from";
			bool *no = ch == 'S' ? &no_s :
			    ch == 'P'        ? &no_p :
			                       &no_a;
			bool *set = ch == 'S' ? &w->set_services :
			    ch == 'P'         ? &w->set_permissions :
			                        &w->set_addresses;

			if (*set && !*no)
				return fail(EXIT_USAGE,
				    "--%s and --no-%s contradict each other",
				    opt, opt);
			*set = *no = true;
			break;
		}
		case 'd':
			if (!input_valid_text(optarg) ||
			    strlen(optarg) > DESC_MAX_LEN)
				return fail(EXIT_USAGE,
				    "--description: at most %d bytes of "
				    "printable UTF-8",
				    DESC_MAX_LEN);
			w->description = optarg;
			break;
		case 'u':
			inv->owner = optarg;
			break;
		case 'j':
			inv->json = true;
			break;
		case 'h':
			command_help("update");
		default:
			return fail(EXIT_USAGE,
			    "update: unknown or incomplete option '%.32s'; "
			    "see apitoken update --help",
			    argv[optind - 1]);
		}
		if (rc != 0)
			return rc;
	}
	if (optind != argc - 1)
		return fail(EXIT_USAGE,
		    "update takes one ID or NAME; see apitoken update --help");
	w->what = argv[optind];
	if (strlen(w->what) > 64)
		return fail(EXIT_USAGE,
		    "'%.20s...' is neither a token id nor a name", w->what);
	if (w->expires == NULL && w->description == NULL && !w->set_services &&
	    !w->set_permissions && !w->set_addresses)
		return fail(EXIT_USAGE,
		    "update: nothing to change; see apitoken update --help");
	return 0;
}

static bool
same_list(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (!strlist_contains(b, a->v[i]))
			return false;
	return true;
}

/* Every item of sub is allowed by sup ("*" in sup allows anything). */
static bool
items_within(const struct strlist *sub, const struct strlist *sup)
{
	if (strlist_contains(sup, "*"))
		return true;
	for (int i = 0; i < sub->n; i++)
		if (!strlist_contains(sup, sub->v[i]))
			return false;
	return true;
}

/* Every block of sub lies inside some block of sup; an empty sup is "anywhere".
 */
static bool
blocks_within(const struct strlist *sub, const struct strlist *sup)
{
	struct cidr a, b;
	const char *why;
	bool inside;

	if (sup->n == 0)
		return true;
	if (sub->n == 0)
		return false;
	for (int i = 0; i < sub->n; i++) {
		if (cidr_parse(sub->v[i], &a, &why) < 0)
			return false;
		inside = false;
		for (int j = 0; j < sup->n && !inside; j++)
			inside = cidr_parse(sup->v[j], &b, &why) == 0 &&
			    cidr_within(&a, &b);
		if (!inside)
			return false;
	}
	return true;
}

/*
 * Apply w to r.  Returns the number of fields changed, or an exit status
 * (negated) after printing why the change is refused.
 */
static int
apply(struct invocation *inv, const struct want *w, struct record *r,
    char *changed, size_t cap)
{
	const struct strlist *old_eff, *new_eff;
	int64_t expires = r->expires_at;
	char err[ERR_MAX];
	int n = 0;

	changed[0] = '\0';
	if (w->expires != NULL) {
		if (when_parse_expiry(w->expires, inv->now, &expires, err) < 0)
			return -fail(EXIT_USAGE, "--expires: %s", err);
		if (inv->conf.max_lifetime != 0 &&
		    (expires == 0 ||
		        expires - inv->now > inv->conf.max_lifetime))
			return -fail(EXIT_REFUSED,
			    "expiry beyond the maximum lifetime of %lld days "
			    "set in %s",
			    (long long)(inv->conf.max_lifetime / 86400),
			    inv->conf_path);
		if (!inv->root && r->expires_at != 0 &&
		    (expires == 0 || expires > r->expires_at))
			return -fail(EXIT_REFUSED,
			    "only root may extend a token's expiry; "
			    "you may bring it forward");
		if (expires != r->expires_at) {
			r->expires_at = expires;
			if (inv->root)
				r->granted_lifetime =
				    expires ? expires - inv->now : 0;
			n++;
			strncat(changed, " expiry", cap - strlen(changed) - 1);
		}
	}
	if (w->set_services) {
		/* Compare what a login would allow, before and after. */
		old_eff =
		    r->services.n ? &r->services : &inv->conf.default_services;
		new_eff =
		    w->services.n ? &w->services : &inv->conf.default_services;
		if (!inv->root && !items_within(new_eff, old_eff))
			return -fail(EXIT_REFUSED,
			    "only root may add services to a token; "
			    "you may remove them");
		if (!same_list(&r->services, &w->services)) {
			r->services = w->services;
			n++;
			strncat(changed, " services",
			    cap - strlen(changed) - 1);
		}
	}
	if (w->set_permissions) {
		if (!inv->root &&
		    !items_within(&w->permissions, &r->permissions))
			return -fail(EXIT_REFUSED,
			    "only root may add permissions to a token; "
			    "you may remove them");
		if (!same_list(&r->permissions, &w->permissions)) {
			r->permissions = w->permissions;
			n++;
			strncat(changed, " permissions",
			    cap - strlen(changed) - 1);
		}
	}
	if (w->set_addresses) {
		if (!inv->root &&
		    !blocks_within(&w->addresses, &r->allowed_addresses))
			return -fail(EXIT_REFUSED,
			    "only root may widen where a token is accepted "
			    "from; "
			    "you may narrow it");
		if (!same_list(&r->allowed_addresses, &w->addresses)) {
			r->allowed_addresses = w->addresses;
			n++;
			strncat(changed, " allowed_addresses",
			    cap - strlen(changed) - 1);
		}
	}
	if (w->description != NULL &&
	    strcmp(w->description, r->description) != 0) {
		field_set(r->description, sizeof(r->description),
		    w->description);
		n++;
		strncat(changed, " description", cap - strlen(changed) - 1);
	}
	if (inv->root &&
	    (w->expires != NULL || w->set_services || w->set_permissions ||
	        w->set_addresses))
		r->limits_uid = (uint32_t)inv->ruid;
	return n;
}

int
cmd_update(struct invocation *inv, int argc, char **argv)
{
	struct want w;
	struct store *st = NULL;
	struct record r;
	char err[ERR_MAX], changed[96], when[WHEN_BUF];
	int64_t old_expiry;
	int rc, n;

	memset(&w, 0, sizeof(w));
	if ((rc = parse(inv, argc, argv, &w)) != 0)
		return rc;
	if ((rc = store_open(&st, inv->store_dir, 0, err)) < 0 ||
	    (rc = hold_lock(st, err)) < 0) {
		rc = fail(EXIT_REFUSED, "%s",
		    rc == ERR_NOTFOUND ? "no tokens yet" : err);
		goto out;
	}
	if ((rc = select_token(inv, st, w.what, &r)) != 0)
		goto out;
	rc = EXIT_REFUSED;
	if (select_settled(&r) != 0)
		goto out;
	if (r.status != STATUS_ACTIVE && r.status != STATUS_SUSPENDED) {
		fail(rc,
		    "token %s is %s; only active or suspended tokens change",
		    r.id, record_status_name(r.status));
		goto out;
	}
	/* Nothing revives a token whose account is not the one it was for. */
	if (select_same_account(&r) != 0)
		goto out;
	/* Renewing an expired token is a new grant: root's alone. */
	if (!inv->root && record_expired(&r, inv->now)) {
		fail(rc, "token %s has expired; ask root, or create a new one",
		    r.id);
		goto out;
	}
	old_expiry = r.expires_at;
	if ((n = apply(inv, &w, &r, changed, sizeof(changed))) < 0) {
		rc = -n;
		goto out;
	}
	if (n > 0) {
		record_touch(&r, inv->now, inv->caller);
		if ((rc = save_record(st, &r, err)) < 0) {
			rc = fail(EXIT_REFUSED, "update: %s", err);
			goto out;
		}
		crash_point(inv, "update:after-record");
		if (r.service_user && r.expires_at != old_expiry &&
		    (rc = account_set_expiry(&r, err)) < 0) {
			rc = fail(EXIT_REFUSED,
			    "update: token changed, but the account's expiry "
			    "did not: "
			    "%s (run the same update again)",
			    err);
			goto out;
		}
		audit_change(inv, "updated", &r, changed + 1);
	}
	rc = 0;
	if (inv->json)
		rc = print_record(inv, st, &r, NULL);
	else if (n == 0)
		fprintf(stderr, "apitoken: token %s '%s' unchanged\n", r.id,
		    r.name);
	else
		fprintf(stderr,
		    "apitoken: token %s '%s' updated (%s); expires %s, "
		    "revision %llu\n",
		    r.id, r.name, changed + 1, when_format(r.expires_at, when),
		    (unsigned long long)r.revision);
out:
	hold_release();
	store_close(st);
	return rc;
}
