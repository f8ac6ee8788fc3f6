/* SPDX-License-Identifier: ISC */
/*
 * policy.c - what a user may put into a token of their own.
 *
 * A token is a password for the services it names, so which services a
 * self-service token may name is root's decision (self_service_services),
 * as are its permissions (self_service_permissions).  A "*" in root's list
 * stands for ordinary services only: the services that make a user root
 * or another user are allowed only by name, so that no wildcard, root's or
 * the token's, ever lets a token stand in for a sudo password.
 */
#include "config.h"

#include <string.h>

#include "apitoken.h"
#include "verify.h"

static const char *const privileged[] = {
	"sudo",
	"sudo-i",
	"su",
	"su-l",
	"login",
	"runuser",
	"runuser-l",
	"polkit-1",
	"doas",
};
#define NPRIVILEGED (sizeof(privileged) / sizeof(privileged[0]))

static bool
is_privileged(const char *s)
{
	for (size_t i = 0; i < NPRIVILEGED; i++)
		if (strcmp(s, privileged[i]) == 0)
			return true;
	return false;
}

/* May a self-service token name service s under root's list l? */
static bool
service_allowed(const struct strlist *l, const char *s)
{
	if (strcmp(s, "*") == 0) {
		/* The token's wildcard covers every privileged service. */
		if (!strlist_contains(l, "*"))
			return false;
		for (size_t i = 0; i < NPRIVILEGED; i++)
			if (!strlist_contains(l, privileged[i]))
				return false;
		return true;
	}
	const char *program = verify_service_program(s);

	/* Root's "su" covers a token's "su-l", as a token's "su" covers
	 * `su -` (verify.h). */
	return strlist_contains(l, s) ||
	    (program != NULL && strlist_contains(l, program)) ||
	    (strlist_contains(l, "*") && !is_privileged(s));
}

int
policy_self_service(const struct invocation *inv, struct record *r)
{
	const struct strlist *allowed = &inv->conf.self_service_services;

	if (inv->root)
		return 0;
	/*
	 * Written into the token: a later change of default_services must not
	 * widen what the user was allowed when they made it.
	 */
	if (r->services.n == 0)
		r->services = inv->conf.default_services;
	for (int i = 0; i < r->services.n; i++)
		if (!service_allowed(allowed, r->services.v[i]))
			return fail(EXIT_REFUSED,
			    "service '%s' is not allowed in tokens users make "
			    "for themselves (self_service_services in %s); ask "
			    "root",
			    r->services.v[i], inv->conf_path);
	if (inv->conf.self_service_permissions.n == 0)
		return 0;
	for (int i = 0; i < r->permissions.n; i++)
		if (!strlist_contains(&inv->conf.self_service_permissions,
		        r->permissions.v[i]))
			return fail(EXIT_REFUSED,
			    "permission '%s' is not allowed in tokens users "
			    "make for themselves (self_service_permissions in "
			    "%s); ask root",
			    r->permissions.v[i], inv->conf_path);
	return 0;
}
