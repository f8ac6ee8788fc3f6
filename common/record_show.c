/* SPDX-License-Identifier: ISC */
/*
 * record_show.c - records as apitoken and apitoken-fleet show them
 * (record_show.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "record_show.h"
#include "when.h"

const char *
show_esc(const char *s, struct shown *out)
{
	utf8_escape(s, out->b, sizeof(out->b));
	return out->b;
}

void
show_text_list(const char *key, const struct strlist *l, const char *none,
    const char *note)
{
	struct shown e;

	printf("%-18s", key);
	for (int i = 0; i < l->n; i++)
		printf("%s%s", i ? ", " : "", show_esc(l->v[i], &e));
	printf("%s", l->n ? "" : none);
	if (note != NULL)
		printf(" (%s)", note);
	putchar('\n');
}

void
show_text_limits(const struct record *r)
{
	show_text_list("permissions:", &r->permissions, "-", NULL);
	show_text_list("allowed from:", &r->allowed_addresses, "-", NULL);
}

void
show_text_history(const struct record *r)
{
	char a[WHEN_BUF];
	struct shown e;

	printf("%-18s%s by %s\n", "created:", when_format(r->created_at, a),
	    show_esc(r->created_by, &e));
	printf("%-18s%s by %s (revision %llu)\n",
	    "updated:", when_format(r->updated_at, a),
	    show_esc(r->updated_by, &e), (unsigned long long)r->revision);
}

int
show_flushed(char *err)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return err_set(err, ERR_UNAVAIL, "cannot write the output");
	return 0;
}

json_t *
show_json_text(const char *s)
{
	struct shown e;

	return json_string(show_esc(s, &e));
}

json_t *
show_json_time(int64_t t)
{
	char buf[WHEN_BUF];

	return t == 0 ? json_null() : json_string(when_format(t, buf));
}

json_t *
show_json_list(const struct strlist *l)
{
	json_t *a = json_array();

	for (int i = 0; i < l->n; i++)
		json_array_append_new(a, show_json_text(l->v[i]));
	return a;
}

static json_t *
who_when(int64_t at, const char *by)
{
	return json_pack("{s:o, s:o}", "at", show_json_time(at), "by",
	    show_json_text(by));
}

json_t *
show_json_record(const struct record *r, int status, json_t *uid, json_t *more)
{
	json_t *o =
	    json_pack("{s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:s, "
	              "s:o, s:o, s:o, s:I}",
	        "id", r->id, "name", show_json_text(r->name), "description",
	        show_json_text(r->description), "user", show_json_text(r->user),
	        "uid", uid, "service_user", r->service_user, "services",
	        show_json_list(&r->services), "permissions",
	        show_json_list(&r->permissions), "allowed_addresses",
	        show_json_list(&r->allowed_addresses), "status",
	        record_status_name(status), "expires_at",
	        show_json_time(r->expires_at), "created",
	        who_when(r->created_at, r->created_by), "updated",
	        who_when(r->updated_at, r->updated_by), "revision",
	        (json_int_t)r->revision);

	/* more's members are new to o: update appends them, in order */
	if (o != NULL && (more == NULL || json_object_update(o, more) < 0)) {
		json_decref(o);
		o = NULL;
	}
	json_decref(more);
	return o;
}

int
show_json_print(json_t *j, char *err)
{
	char *s = j != NULL ?
	    json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) :
	    NULL;
	int rc = 0;

	if (s == NULL)
		rc =
		    err_set(err, ERR_NOMEM, "cannot encode the output as JSON");
	else {
		if (puts(s) == EOF || fflush(stdout) == EOF)
			rc = err_set(err, ERR_UNAVAIL,
			    "cannot write the output");
		explicit_bzero(s, strlen(s));
		free(s);
	}
	json_decref(j);
	return rc;
}
