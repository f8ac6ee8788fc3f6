#!/bin/sh
# SPDX-License-Identifier: ISC
# Apache with libapache2-mod-authnz-pam (AuthBasicProvider PAM), Debian's
# event MPM, its children as www-data, on 127.0.0.1: the module, not root
# there, asks apitoken-verifyd, whose verifier policy lets www-data verify
# tokens of other users for this PAM service only.  The stack and the
# <Location> are doc/daemons.md's.  `curl -u user:TOKEN` gets 200 for a
# good token and 401 for every token that must not work; a token's
# --allow-from sees the client address Apache passes (PAM_RHOST).
. "${srcdir:-.}/tests/e2e/lib.sh"
APACHE=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
[ -x "$APACHE" ] || skip "no apache2 (apt-get install apache2)"
[ -f "$MODS/mod_authnz_pam.so" ] || skip "no mod_authnz_pam (apt-get install libapache2-mod-authnz-pam)"
command -v curl >/dev/null || fail "curl is needed (scripts/deps)"
id www-data >/dev/null 2>&1 || fail "no account www-data"
[ -x "$VERIFYD" ] || fail "not built: $VERIFYD"

U=${TAG}u   # owns the tokens
O=${TAG}o   # someone else
add_user "$U"
add_user "$O"
SOCK=$WORK/verify.sock
# www-data loads the module: a copy it can reach (the tree may be 0700).
cp "$MODULE" "$WORK/pam_apitoken.so" && chmod 644 "$WORK/pam_apitoken.so" || fail "copy module"
cat > "$CONF" <<EOC
default_services = $SERVICE
lockout_attempts = 0
verifier = www-data: $SERVICE
EOC
cat > "/etc/pam.d/$SERVICE" <<EOS
auth     required $WORK/pam_apitoken.so store=$STORE config=$CONF socket=$SOCK nodelay
account  required $WORK/pam_apitoken.so store=$STORE config=$CONF socket=$SOCK
EOS

state_tokens "$U" "$O"

EXTRA_CLEANUP='for f in apache.pid verifyd.pid; do [ -f "$WORK/$f" ] && kill "$(cat "$WORK/$f")" 2>/dev/null; done'
start_verifyd

mkdir -p "$WORK/apache/html" "$WORK/apache/run" && echo ok > "$WORK/apache/html/index.html" &&
	chmod -R a+rX "$WORK/apache" || fail "apache directory"
start_apache() {
	PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	URL=http://127.0.0.1:$PORT/index.html
	cat > "$WORK/apache.conf" <<EOA
ServerRoot $WORK/apache
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile $WORK/apache/httpd.pid
DefaultRuntimeDir $WORK/apache/run
ErrorLog $WORK/apache/error.log
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule auth_basic_module $MODS/mod_auth_basic.so
LoadModule authnz_pam_module $MODS/mod_authnz_pam.so
User www-data
Group www-data
StartServers 1
ServerLimit 1
DocumentRoot $WORK/apache/html
<Location />
	AuthType Basic
	AuthName "api"
	AuthBasicProvider PAM
	AuthPAMService $SERVICE
	Require valid-user
</Location>
EOA
	rm -f "$WORK/apache/httpd.pid"
	"$APACHE" -f "$WORK/apache.conf" -DFOREGROUND 2>>"$WORK/apache/stderr" &
	echo $! > "$WORK/apache.pid"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$PORT/index.html" || [ $i -ge 50 ]; do
		kill -0 "$(cat "$WORK/apache.pid")" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	curl -s -o /dev/null "http://127.0.0.1:$PORT/index.html"
}
tries=0
until start_apache; do
	tries=$((tries + 1))
	[ -f "$WORK/apache.pid" ] && kill "$(cat "$WORK/apache.pid")" 2>/dev/null
	[ $tries -lt 5 ] || fail "apache did not start: $(cat "$WORK/apache/stderr" "$WORK/apache/error.log" 2>/dev/null | tail -5)"
done
ps -o user= --ppid "$(cat "$WORK/apache.pid")" | grep -qx www-data ||
	fail "the apache children do not run as www-data"

expect_http_states apache
at revoke api >/dev/null || fail "revoke"
expect_http 401 "$U" "$TOK" "the good token after its revoke"
pass_msg "a revoked token is refused on the next request"
grep -q "asked by uid $(id -u www-data)" "$WORK/verifyd.log" ||
	fail "the verify service did not log www-data's requests: $(tail -3 "$WORK/verifyd.log")"
echo "apache: all checks passed"
