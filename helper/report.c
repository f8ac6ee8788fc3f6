/* SPDX-License-Identifier: ISC */
/*
 * report.c - apitoken report: token hygiene for monitoring.
 *
 *   --format nagios      one line and the plugin exit codes (default):
 *                        0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
 *   --format prometheus  node_exporter textfile metrics
 *   --format json        the same facts as one object
 *   --output FILE        write there instead of stdout, atomically (a
 *                        temporary file in FILE's directory, renamed), as
 *                        the textfile collector needs
 *
 * An active token expiring within --critical (3d) is CRITICAL, within
 * --warning (14d) WARNING; with --unused DURATION a live token not used for
 * that long is WARNING too.  Suspended tokens are counted but never alert:
 * they are off on purpose.  Root only: it names every token on the host.
 * Prometheus and JSON output exit 0 when written (the state is in them),
 * so that a timer writing a textfile does not fail on a warning.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "apitoken.h"
#include "err.h"
#include "grow.h"
#include "when.h"

enum report_state {
	STATE_OK = 0,
	STATE_WARNING = 1,
	STATE_CRITICAL = 2,
	STATE_UNKNOWN = 3,
};

static const char *const state_name[] = { "OK", "WARNING", "CRITICAL",
	"UNKNOWN" };

enum report_format {
	FORMAT_NAGIOS,
	FORMAT_PROMETHEUS,
	FORMAT_JSON,
};

struct item {
	struct record r;
	int64_t last_use;
	enum report_state state;
	bool unused;
};

struct facts {
	int64_t now, warning, critical, unused;
	int n, cap;
	struct item *v;
	unsigned active, suspended, revoked, expired, pending;
	unsigned crit, warn, idle, never;
	enum report_state state;
};

struct scan {
	struct store *st;
	struct facts *f;
};

static int
add_fn(const struct record *r, void *ctx)
{
	struct scan *s = ctx;
	struct facts *f = s->f;
	struct item *it;
	struct usage u;
	int64_t left;

	if (r->status == STATUS_DELETED)
		return 0;
	if (r->status == STATUS_PENDING) {
		f->pending++;
		return 0;
	}
	if (store_usage_get(s->st, r->id, &u, NULL) < 0)
		memset(&u, 0, sizeof(u));
	/* Spent is revoked in all but the record (see hygiene_spent). */
	if (r->status == STATUS_REVOKED || hygiene_spent(r, &u)) {
		f->revoked++;
		return 0;
	}
	if (record_expired(r, f->now)) {
		f->expired++;
		return 0;
	}
	if (r->status == STATUS_SUSPENDED)
		f->suspended++;
	else
		f->active++;
	if (grow_room(&f->v, f->n, &f->cap, sizeof(*f->v)) < 0)
		return ERR_NOMEM;
	it = &f->v[f->n++];
	memset(it, 0, sizeof(*it));
	it->r = *r;
	it->last_use = hygiene_last_use(r, &u);
	left = r->expires_at - f->now;
	if (r->expires_at == 0)
		f->never++;
	else if (r->status == STATUS_ACTIVE && left <= f->critical) {
		it->state = STATE_CRITICAL;
		f->crit++;
	} else if (r->status == STATUS_ACTIVE && left <= f->warning) {
		it->state = STATE_WARNING;
		f->warn++;
	}
	if (f->unused != 0 && f->now - it->last_use >= f->unused) {
		it->unused = true;
		f->idle++;
		if (it->state == STATE_OK)
			it->state = STATE_WARNING;
	}
	if (it->state > f->state)
		f->state = it->state;
	return 0;
}

static int
scan_fn(struct store_txn *t, void *ctx, char *err)
{
	struct scan *s = ctx;
	int rc = store_txn_list(t, NULL, add_fn, s, err);

	return rc == ERR_NOMEM ? err_set(err, rc, "out of memory") : rc;
}

static void
days(char *buf, size_t cap, int64_t secs)
{
	if (secs >= 86400)
		snprintf(buf, cap, "%lldd", (long long)(secs / 86400));
	else
		snprintf(buf, cap, "%lldh", (long long)(secs / 3600));
}

static void
nagios(FILE *out, const struct facts *f)
{
	char d[24];
	int shown = 0;

	fprintf(out, "APITOKEN %s - %u of %u active tokens expire within %s",
	    state_name[f->state], f->warn + f->crit, f->active,
	    (days(d, sizeof(d), f->warning), d));
	fprintf(out, " (%u within %s)", f->crit,
	    (days(d, sizeof(d), f->critical), d));
	if (f->unused != 0)
		fprintf(out, ", %u unused for %s", f->idle,
		    (days(d, sizeof(d), f->unused), d));
	/* Worst first, at most ten names on the status line. */
	for (int want = STATE_CRITICAL; want >= STATE_WARNING; want--)
		for (int i = 0; i < f->n && shown < 10; i++) {
			const struct item *it = &f->v[i];

			if ((int)it->state != want)
				continue;
			if (it->r.expires_at != 0 &&
			    it->r.expires_at - f->now <= f->warning &&
			    it->r.status == STATUS_ACTIVE)
				days(d, sizeof(d), it->r.expires_at - f->now);
			else
				strcpy(d, "unused");
			fprintf(out, "%s %s %s (%s)", shown++ ? "," : ":",
			    it->r.name, it->r.id, d);
		}
	fprintf(out,
	    " | active=%u suspended=%u revoked=%u expired=%u pending=%u "
	    "expiring=%u critical=%u unused=%u never_expire=%u\n",
	    f->active, f->suspended, f->revoked, f->expired, f->pending,
	    f->warn + f->crit, f->crit, f->idle, f->never);
}

/* Names and users are [a-z0-9_-] and ids base32 (input.c): safe as label
 * values. */
static void
labels(FILE *out, const struct record *r)
{
	fprintf(out, "{id=\"%s\",name=\"%s\",user=\"%s\"}", r->id, r->name,
	    r->user);
}

static void
prometheus(FILE *out, const struct facts *f)
{
	fputs("# HELP apitoken_tokens Tokens in the store by state (tombstones "
	      "of deleted tokens"
	      " not counted).\n# TYPE apitoken_tokens gauge\n",
	    out);
	fprintf(out,
	    "apitoken_tokens{state=\"active\"} "
	    "%u\napitoken_tokens{state=\"suspended\"} %u\n"
	    "apitoken_tokens{state=\"revoked\"} "
	    "%u\napitoken_tokens{state=\"expired\"} %u\n"
	    "apitoken_tokens{state=\"pending\"} %u\n",
	    f->active, f->suspended, f->revoked, f->expired, f->pending);
	fputs("# HELP apitoken_tokens_expiring Active tokens expiring within "
	      "the window.\n"
	      "# TYPE apitoken_tokens_expiring gauge\n",
	    out);
	fprintf(out,
	    "apitoken_tokens_expiring{within=\"%llds\"} %u\n"
	    "apitoken_tokens_expiring{within=\"%llds\"} %u\n",
	    (long long)f->critical, f->crit, (long long)f->warning,
	    f->crit + f->warn);
	fputs("# HELP apitoken_tokens_never_expire Live tokens without an "
	      "expiry.\n"
	      "# TYPE apitoken_tokens_never_expire gauge\n",
	    out);
	fprintf(out, "apitoken_tokens_never_expire %u\n", f->never);
	fputs("# HELP apitoken_token_expiry_timestamp_seconds When each live "
	      "token expires.\n"
	      "# TYPE apitoken_token_expiry_timestamp_seconds gauge\n",
	    out);
	for (int i = 0; i < f->n; i++)
		if (f->v[i].r.expires_at != 0) {
			fputs("apitoken_token_expiry_timestamp_seconds", out);
			labels(out, &f->v[i].r);
			fprintf(out, " %lld\n",
			    (long long)f->v[i].r.expires_at);
		}
	fputs("# HELP apitoken_token_last_use_timestamp_seconds Last recorded "
	      "use of each live"
	      " token (its creation when never used).\n"
	      "# TYPE apitoken_token_last_use_timestamp_seconds gauge\n",
	    out);
	for (int i = 0; i < f->n; i++) {
		fputs("apitoken_token_last_use_timestamp_seconds", out);
		labels(out, &f->v[i].r);
		fprintf(out, " %lld\n", (long long)f->v[i].last_use);
	}
	fputs("# HELP apitoken_report_state The Nagios state: 0 OK, 1 WARNING, "
	      "2 CRITICAL.\n"
	      "# TYPE apitoken_report_state gauge\n",
	    out);
	fprintf(out, "apitoken_report_state %d\n", (int)f->state);
	fputs("# HELP apitoken_report_timestamp_seconds When this report was "
	      "made.\n"
	      "# TYPE apitoken_report_timestamp_seconds gauge\n",
	    out);
	fprintf(out, "apitoken_report_timestamp_seconds %lld\n",
	    (long long)f->now);
}

static void
as_json(FILE *out, const struct facts *f)
{
	char when[WHEN_BUF], used[WHEN_BUF], *s;
	json_t *o, *list = json_array();

	for (int i = 0; i < f->n; i++) {
		const struct item *it = &f->v[i];

		if (it->state == STATE_OK)
			continue;
		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:b}", "id",
		        it->r.id, "name", it->r.name, "user", it->r.user,
		        "status", record_status_name(it->r.status),
		        "expires_at",
		        it->r.expires_at ?
		            json_string(when_format(it->r.expires_at, when)) :
		            json_null(),
		        "last_used_or_created", when_format(it->last_use, used),
		        "unused", it->unused));
		json_object_set_new(json_array_get(list,
		                        json_array_size(list) - 1),
		    "state", json_string(state_name[it->state]));
	}
	o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:{s:i, s:i, s:i, s:i, s:i}, "
	              "s:i, s:i, s:i, s:o}",
	    "state", state_name[f->state], "code", (int)f->state,
	    "warning_seconds", (json_int_t)f->warning, "critical_seconds",
	    (json_int_t)f->critical, "unused_seconds", (json_int_t)f->unused,
	    "tokens", "active", (int)f->active, "suspended", (int)f->suspended,
	    "revoked", (int)f->revoked, "expired", (int)f->expired, "pending",
	    (int)f->pending, "expiring", (int)(f->warn + f->crit), "unused",
	    (int)f->idle, "never_expire", (int)f->never, "alerts", list);
	if ((s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) != NULL)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

/* Write through a temporary file in the same directory, then rename. */
static int
write_atomically(const char *path, enum report_format fmt,
    const struct facts *f)
{
	char tmp[4096];
	FILE *out;
	int fd, bad;

	if (path[0] != '/' ||
	    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return fail(STATE_UNKNOWN, "--output: give an absolute path");
	if ((fd = mkstemp(tmp)) < 0)
		return fail(STATE_UNKNOWN, "--output: %s: %s", tmp,
		    strerror(errno));
	/* The textfile collector runs as its own user and must read it. */
	if (fchmod(fd, 0644) < 0 || (out = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return fail(STATE_UNKNOWN, "--output: %s: %s", tmp,
		    strerror(errno));
	}
	if (fmt == FORMAT_PROMETHEUS)
		prometheus(out, f);
	else if (fmt == FORMAT_JSON)
		as_json(out, f);
	else
		nagios(out, f);
	bad = fflush(out) != 0 || fsync(fileno(out)) != 0;
	bad |= fclose(out) != 0;
	if (bad || rename(tmp, path) < 0) {
		fail(STATE_UNKNOWN, "--output: %s: %s", path, strerror(errno));
		unlink(tmp);
		return STATE_UNKNOWN;
	}
	return 0;
}

static int
span(const char *opt, const char *v, int64_t *out)
{
	char err[ERR_MAX];

	if (when_parse_duration(v, out, err) < 0)
		return fail(STATE_UNKNOWN, "--%s: %s", opt, err);
	return 0;
}

int
cmd_report(struct invocation *inv, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "warning", required_argument, NULL, 'w' },
		{ "critical", required_argument, NULL, 'c' },
		{ "unused", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct facts f = { .now = inv->now,
		.warning = 14 * 86400,
		.critical = 3 * 86400 };
	struct scan s = { NULL, &f };
	enum report_format fmt = FORMAT_NAGIOS;
	const char *output = NULL;
	char err[ERR_MAX];
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'w':
			rc = span("warning", optarg, &f.warning);
			break;
		case 'c':
			rc = span("critical", optarg, &f.critical);
			break;
		case 'u':
			rc = span("unused", optarg, &f.unused);
			break;
		case 'f':
			if (strcmp(optarg, "nagios") == 0)
				fmt = FORMAT_NAGIOS;
			else if (strcmp(optarg, "prometheus") == 0)
				fmt = FORMAT_PROMETHEUS;
			else if (strcmp(optarg, "json") == 0)
				fmt = FORMAT_JSON;
			else
				rc = fail(STATE_UNKNOWN,
				    "--format: nagios, prometheus or json");
			break;
		case 'o':
			output = optarg;
			break;
		case 'j':
			fmt = FORMAT_JSON;
			break;
		case 'h':
			command_help("report");
		default:
			return fail(STATE_UNKNOWN,
			    "report: unknown or incomplete option '%.32s'; "
			    "see apitoken report --help",
			    argv[optind - 1]);
		}
		if (rc != 0)
			return rc;
	}
	if (optind != argc)
		return fail(STATE_UNKNOWN,
		    "report takes no arguments; see apitoken report --help");
	if (f.critical > f.warning)
		return fail(STATE_UNKNOWN,
		    "--critical is longer than --warning");
	if (!inv->root)
		return fail(STATE_UNKNOWN, "report is for root");
	rc = store_open(&s.st, inv->store_dir, STORE_RDONLY, err);
	if (rc < 0 && rc != ERR_NOTFOUND)
		return fail(STATE_UNKNOWN, "%s", err);
	if (s.st != NULL && store_read(s.st, scan_fn, &s, err) < 0) {
		rc = fail(STATE_UNKNOWN, "%s", err);
		goto out;
	}
	if (output != NULL)
		rc = write_atomically(output, fmt, &f);
	else {
		if (fmt == FORMAT_PROMETHEUS)
			prometheus(stdout, &f);
		else if (fmt == FORMAT_JSON)
			as_json(stdout, &f);
		else
			nagios(stdout, &f);
		rc = fflush(stdout) == 0 ? 0 : STATE_UNKNOWN;
	}
	if (rc == 0 && fmt == FORMAT_NAGIOS)
		rc = (int)f.state;
out:
	free(f.v);
	store_close(s.st);
	return rc;
}
