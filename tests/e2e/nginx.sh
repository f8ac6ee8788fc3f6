#!/bin/sh
# SPDX-License-Identifier: ISC
# nginx with libnginx-mod-http-auth-pam, its workers as www-data (Debian's
# default), on 127.0.0.1: the module, not root there, asks
# apitoken-verifyd, whose verifier policy lets www-data verify tokens of
# other users for this PAM service only.  `curl -u user:TOKEN` gets 200
# for a good token and 401 for every token that must not work; a token's
# --allow-from sees the client address nginx passes (PAM_RHOST).  Under
# the default fail_delay a wrong token holds up no other client of the
# same worker.
. "${srcdir:-.}/tests/e2e/lib.sh"
NGINX=/usr/sbin/nginx
AUTH_PAM=/usr/lib/nginx/modules/ngx_http_auth_pam_module.so
[ -x "$NGINX" ] || skip "no nginx (apt-get install nginx-light)"
[ -f "$AUTH_PAM" ] || skip "no $AUTH_PAM (apt-get install libnginx-mod-http-auth-pam)"
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
fail_delay = 0
lockout_attempts = 0
verifier = www-data: $SERVICE
EOC
cat > "/etc/pam.d/$SERVICE" <<EOS
auth     required $WORK/pam_apitoken.so store=$STORE config=$CONF socket=$SOCK nodelay
account  required $WORK/pam_apitoken.so store=$STORE config=$CONF socket=$SOCK
EOS

state_tokens "$U" "$O"
EXP=$(at create exp --user "$U" --expires 2s) || fail "expiring token"

EXTRA_CLEANUP='for f in nginx.pid verifyd.pid; do [ -f "$WORK/$f" ] && kill "$(cat "$WORK/$f")" 2>/dev/null; done'
start_verifyd

# A file, not "return": return answers before the access phase, unchecked.
mkdir -p "$WORK/nginx/html" && echo ok > "$WORK/nginx/html/index.html" &&
	chmod -R a+rX "$WORK/nginx" || fail "nginx directory"
start_nginx() {
	PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	URL=http://127.0.0.1:$PORT/
	cat > "$WORK/nginx.conf" <<EON
load_module $AUTH_PAM;
user ${NGINX_USER:-www-data};
worker_processes 1;
daemon off;
pid $WORK/nginx/pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	server {
		listen 127.0.0.1:$PORT;
		location / {
			auth_pam "api";
			auth_pam_service_name "$SERVICE";
			root $WORK/nginx/html;
		}
	}
}
EON
	"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx.conf" 2>>"$WORK/nginx/stderr" &
	echo $! > "$WORK/nginx.pid"
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$PORT/" || [ $i -ge 50 ]; do
		kill -0 "$(cat "$WORK/nginx.pid")" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	curl -s -o /dev/null "http://127.0.0.1:$PORT/"
}
tries=0
until start_nginx; do
	tries=$((tries + 1))
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
	[ $tries -lt 5 ] || fail "nginx did not start: $(cat "$WORK/nginx/stderr" "$WORK/nginx/error.log" 2>/dev/null | tail -5)"
done
ps -o user= --ppid "$(cat "$WORK/nginx.pid")" | grep -qx www-data ||
	fail "the nginx worker does not run as www-data"

expect_http_states nginx
# the expiring token: good before, refused after (bounded wait)
i=0
while [ "$(http_code "$U" "$EXP")" = 200 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
expect_http 401 "$U" "$EXP" "an expired token"
pass_msg "an expired token 401"
grep -q "asked by uid $(id -u www-data)" "$WORK/verifyd.log" ||
	fail "the verify service did not log www-data's requests: $(tail -3 "$WORK/verifyd.log")"

# The default fail_delay (2 s), as shipped: one worker, five rounds of a
# wrong token and, 10 ms later on another connection, a good one.  The
# good one's median time may exceed its median alone by 50 ms at most
# (an in-process delay would hold it for about 2 s).
sed -i '/^fail_delay/d' "$CONF"
kill "$(cat "$WORK/verifyd.pid")" && wait "$(cat "$WORK/verifyd.pid")"
start_verifyd
took() { curl -s -o /dev/null -w '%{time_total}\n' -u "$U:$1" "$URL"; }
median() { sort -n "$1" | sed -n 3p; }
no_holdup() {  # WHO
	: > "$WORK/alone"
	: > "$WORK/together"
	for i in 1 2 3 4 5; do took "$TOK" >> "$WORK/alone"; done
	for i in 1 2 3 4 5; do
		http_code "$U" "$WRONG" > "$WORK/wrong.$i" &
		wrong=$!
		sleep 0.01
		took "$TOK" >> "$WORK/together"
		wait "$wrong"
		[ "$(cat "$WORK/wrong.$i")" = 401 ] || fail "the wrong token: HTTP $(cat "$WORK/wrong.$i"), not 401"
	done
	alone=$(median "$WORK/alone")
	together=$(median "$WORK/together")
	awk -v a="$alone" -v t="$together" 'BEGIN { exit !(t - a < 0.050) }' ||
		fail "workers as $1: a wrong token held up another client: median $together s, alone $alone s"
	pass_msg "workers as $1, default fail_delay: a wrong token holds up no other client of the worker (median $together s, alone $alone s)"
}
no_holdup www-data
# As root the module decides in the worker itself: nodelay keeps libpam
# from sleeping there.
kill "$(cat "$WORK/nginx.pid")" && wait "$(cat "$WORK/nginx.pid")"
NGINX_USER=root
tries=0
until start_nginx; do
	tries=$((tries + 1))
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
	[ $tries -lt 5 ] || fail "nginx did not start as root: $(tail -5 "$WORK/nginx/error.log" 2>/dev/null)"
done
no_holdup root
echo "nginx: all checks passed"
