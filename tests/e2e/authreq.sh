#!/bin/sh
# SPDX-License-Identifier: ISC
# nginx's auth_request in front of apitoken-authd, in front of
# apitoken-verifyd: nginx (workers as www-data, Debian's default) on
# 127.0.0.1 asks authd on a UNIX socket of group www-data; authd, started
# as root and running as an account of its own, asks verifyd, whose
# verifier policy names that account for this service only.  No PAM per
# request.  `curl -u user:TOKEN` gets 200 for a good token and 401 for
# every token that must not work; --allow-from sees the client address
# nginx sets in X-Real-IP, and verifyd logs it (an X-Real-IP that is no
# address is logged as '-'); authd down is a 5xx, verifyd down a 503,
# never a 200; a wrong token holds up no other client; hostile clients on
# authd's socket neither crash it nor keep it from answering others.
. "${srcdir:-.}/tests/e2e/lib.sh"
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || skip "no nginx (apt-get install nginx-light)"
"$NGINX" -V 2>&1 | grep -q -- --with-http_auth_request_module ||
	skip "this nginx lacks auth_request"
command -v curl >/dev/null || fail "curl is needed (scripts/deps)"
id www-data >/dev/null 2>&1 || fail "no account www-data"
[ -x "$VERIFYD" ] || fail "not built: $VERIFYD"
[ -x "$AUTHD" ] || fail "not built: $AUTHD"

U=${TAG}u   # owns the tokens
O=${TAG}o   # someone else
A=${TAG}a   # runs apitoken-authd
add_user "$U"
add_user "$O"
add_user "$A"
SOCK=$WORK/verify.sock
ASOCK=$WORK/authd.sock
# authd runs as $A from a copy it can reach (the tree may be 0700).
cp "$AUTHD" "$WORK/apitoken-authd" && chmod 755 "$WORK/apitoken-authd" || fail "copy authd"
cp "$top_builddir/tests/authd/hclient" "$WORK/hclient" || fail "copy hclient"
cat > "$CONF" <<EOC
default_services = $SERVICE
fail_delay = 0
lockout_attempts = 0
verifier = $A: $SERVICE
EOC

state_tokens "$U" "$O"
EXP=$(at create exp --user "$U" --expires 2s) || fail "expiring token"

EXTRA_CLEANUP='for f in nginx.pid authd.pid verifyd.pid; do [ -f "$WORK/$f" ] && kill "$(cat "$WORK/$f")" 2>/dev/null; done'
start_verifyd
start_authd() {
	rm -f "$ASOCK"
	"$WORK/apitoken-authd" --foreground --user "$A" --group www-data --socket "$ASOCK" \
		--verify-socket "$SOCK" --service "$SERVICE" --realm "zz api" 2>> "$WORK/authd.log" &
	echo $! > "$WORK/authd.pid"
	_i=0
	while [ ! -S "$ASOCK" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$ASOCK" ] || fail "apitoken-authd did not start: $(cat "$WORK/authd.log")"
}
start_authd
[ "$(ps -o user= -p "$(cat "$WORK/authd.pid")")" = "$A" ] ||
	fail "apitoken-authd does not run as $A: $(ps -o user= -p "$(cat "$WORK/authd.pid")")"
[ "$(stat -c '%a %G' "$ASOCK")" = "660 www-data" ] ||
	fail "authd's socket is $(stat -c '%a %G' "$ASOCK"), not 660 www-data"
pass_msg "apitoken-authd runs as $A, its socket 0660 of group www-data"

mkdir -p "$WORK/nginx/html" && echo ok > "$WORK/nginx/html/index.html" &&
	chmod -R a+rX "$WORK/nginx" || fail "nginx directory"
PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
URL=http://127.0.0.1:$PORT/
# The lines doc/daemons.md gives, with this test's paths.
cat > "$WORK/nginx.conf" <<EON
user www-data;
worker_processes 1;
daemon off;
pid $WORK/nginx/pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	upstream apitoken_authd {
		server unix:$ASOCK;
		keepalive 8;
	}
	server {
		listen 127.0.0.1:$PORT;
		location / {
			auth_request /_apitoken;
			root $WORK/nginx/html;
		}
		location = /_apitoken {
			internal;
			proxy_pass http://apitoken_authd;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Real-IP \$remote_addr;
		}
	}
}
EON
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx.conf" 2>>"$WORK/nginx/stderr" &
echo $! > "$WORK/nginx.pid"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" = 401 ] || [ $i -ge 50 ]; do
	kill -0 "$(cat "$WORK/nginx.pid")" 2>/dev/null || fail "nginx did not start: $(cat "$WORK/nginx/stderr" "$WORK/nginx/error.log" 2>/dev/null | tail -5)"
	sleep 0.1
	i=$((i + 1))
done
ps -o user= --ppid "$(cat "$WORK/nginx.pid")" | grep -qx www-data ||
	fail "the nginx worker does not run as www-data"

expect_http_states "nginx auth_request"
i=0
while [ "$(http_code "$U" "$EXP")" = 200 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
expect_http 401 "$U" "$EXP" "an expired token"
pass_msg "an expired token 401"
curl -s -D "$WORK/headers" -o /dev/null "$URL"
grep -qi '^WWW-Authenticate: Basic realm="zz api"' "$WORK/headers" ||
	fail "no WWW-Authenticate on a refusal: $(cat "$WORK/headers")"
grep -q "rhost 127.0.0.1, asked by uid $(id -u "$A"): accepted" "$WORK/verifyd.log" ||
	fail "verifyd did not log authd's request with the client address: $(tail -3 "$WORK/verifyd.log")"
pass_msg "401 says WWW-Authenticate; verifyd logs the client address and authd's uid"

# Straight to authd: an X-Real-IP that is no address is no rhost ('-').
authd_code() {  # X-Real-IP USER:PASSWORD
	curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ASOCK" \
		-H "X-Real-IP: $1" -u "$2" http://authd/
}
[ "$(authd_code "127.0.0.1, 192.0.2.1" "$U:$TOK")" = 204 ] || fail "authd refused a good token"
grep -q "for user $U service $SERVICE rhost -, asked by" "$WORK/verifyd.log" ||
	fail "a bad X-Real-IP was not logged as '-': $(tail -2 "$WORK/verifyd.log")"
[ "$(authd_code "::1" "$U:$TOK")" = 204 ] && grep -q "rhost ::1, asked" "$WORK/verifyd.log" ||
	fail "an IPv6 X-Real-IP was not passed"
grep -q "$TOK\|$(printf '%s:%s' "$U" "$TOK" | base64 -w0)" "$WORK/authd.log" "$WORK/verifyd.log" &&
	fail "a secret reached a log"
pass_msg "X-Real-IP validated as an address, else '-'; no secret in any log"

# The default fail_delay (2 s): a wrong token's answer may wait, but no
# other client's: five rounds, median against the median alone.
sed -i '/^fail_delay/d' "$CONF"
took() { curl -s -o /dev/null -w '%{time_total}\n' -u "$U:$1" "$URL"; }
median() { sort -n "$1" | sed -n 3p; }
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
	fail "a wrong token held up another client: median $together s, alone $alone s"
pass_msg "default fail_delay: a wrong token holds up no other client (median $together s, alone $alone s)"

# Hostile clients on authd's socket (as the web server's group may be).
printf '%s:%s' "$U" "$TOK" | base64 -w0 > "$WORK/good"
printf '%s:%s' "$U" "$WRONG" | base64 -w0 > "$WORK/bad"
setpriv --reuid=www-data --regid=www-data --clear-groups "$WORK/hclient" "$ASOCK" \
	"Basic $(cat "$WORK/good")" "Basic $(cat "$WORK/bad")" || fail "hostile clients"
kill -0 "$(cat "$WORK/authd.pid")" || fail "apitoken-authd died under hostile clients"
expect_http 200 "$U" "$TOK" "a good token after the hostile clients"
pass_msg "hostile clients: authd answered others throughout and lives"

# verifyd down: authd says 503, nginx a 5xx; never a 200.
kill "$(cat "$WORK/verifyd.pid")" && wait "$(cat "$WORK/verifyd.pid")" 2>/dev/null
[ "$(authd_code 127.0.0.1 "$U:$TOK")" = 503 ] || fail "verifyd down: authd did not answer 503"
case $(http_code "$U" "$TOK") in 5??) ;; *) fail "verifyd down: nginx answered $(http_code "$U" "$TOK")" ;; esac
start_verifyd
expect_http 200 "$U" "$TOK" "a good token, verifyd back"
# authd down: nginx cannot ask, a 5xx.
kill "$(cat "$WORK/authd.pid")" && wait "$(cat "$WORK/authd.pid")" 2>/dev/null
case $(http_code "$U" "$TOK") in 5??) ;; *) fail "authd down: nginx answered $(http_code "$U" "$TOK")" ;; esac
pass_msg "verifyd down: 503 from authd, 5xx from nginx; authd down: 5xx; never 200"

# Started as systemd does: the socket passed as LISTEN_FDS.
rm -f "$ASOCK"
if command -v systemd-socket-activate >/dev/null; then
	systemd-socket-activate -l "$ASOCK" setpriv --reuid="$A" --regid="$A" --clear-groups \
		"$WORK/apitoken-authd" --foreground --verify-socket "$SOCK" --service "$SERVICE" \
		2>> "$WORK/authd.log" &
	echo $! > "$WORK/authd.pid"
	i=0
	while [ ! -S "$ASOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(authd_code 127.0.0.1 "$U:$TOK")" = 204 ] ||
		fail "authd with a socket passed by LISTEN_FDS: $(tail -3 "$WORK/authd.log")"
	pass_msg "socket activation (LISTEN_FDS): answers"
fi
echo "authreq: all checks passed"
