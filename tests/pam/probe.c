/* SPDX-License-Identifier: ISC */
/*
 * probe - a test-only PAM module standing in front of pam_apitoken.
 *
 * libpam hides a module's own return code (a lone PAM_IGNORE comes out of
 * pam_authenticate as PAM_PERM_DENIED) and gives PAM_AUTHTOK only to
 * modules.  The probe runs inside libpam's dispatch, calls the real
 * module's function with its own arguments, and publishes the exact code
 * as PROBE_RC in the PAM environment before returning it.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <security/pam_modules.h>

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

static int
call(const char *sym, pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	const char *path = getenv("PAM_MODULE");
	char buf[32];
	void *mod;
	sm_fn fn;
	int rc;

	if (path == NULL || (mod = dlopen(path, RTLD_NOW)) == NULL)
		return PAM_SYSTEM_ERR;
	*(void **)&fn = dlsym(mod, sym);
	rc = fn != NULL ? fn(pamh, flags, argc, argv) : PAM_SYMBOL_ERR;
	snprintf(buf, sizeof(buf), "PROBE_RC=%d", rc);
	pam_putenv(pamh, buf);
	dlclose(mod);
	return rc;
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return call("pam_sm_authenticate", pamh, flags, argc, argv);
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return call("pam_sm_acct_mgmt", pamh, flags, argc, argv);
}
