#!/bin/sh
# SPDX-License-Identifier: ISC
# Dovecot IMAP with passdb pam, its auth worker as the default internal
# user (dovecot), not root: the module asks apitoken-verifyd, whose
# verifier policy lets that account verify tokens for this PAM service
# only.  A good token logs in (curl's IMAP LOGIN); wrong, suspended,
# revoked, other user's and other service's tokens do not; --allow-from
# sees the client address Dovecot passes (PAM_RHOST).
. "${srcdir:-.}/tests/e2e/lib.sh"
DOVECOT=/usr/sbin/dovecot
[ -x "$DOVECOT" ] || skip "no dovecot (apt-get install dovecot-imapd)"
command -v curl >/dev/null || fail "curl is needed (scripts/deps)"
id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 ||
	fail "the dovecot package's accounts dovecot and dovenull are missing"
[ -x "$VERIFYD" ] || fail "not built: $VERIFYD"

U=${TAG}u
O=${TAG}o
add_user "$U"
add_user "$O"
SOCK=$WORK/verify.sock
cp "$MODULE" "$WORK/pam_apitoken.so" && chmod 644 "$WORK/pam_apitoken.so" || fail "copy module"
cat > "$CONF" <<EOC
default_services = $SERVICE
fail_delay = 0
lockout_attempts = 0
verifier = dovecot: $SERVICE
EOC
cat > "/etc/pam.d/$SERVICE" <<EOS
auth     required $WORK/pam_apitoken.so store=$STORE config=$CONF socket=$SOCK
account  required $WORK/pam_apitoken.so store=$STORE config=$CONF socket=$SOCK
EOS

state_tokens "$U" "$O"

EXTRA_CLEANUP='for f in dovecot.pid verifyd.pid; do [ -f "$WORK/$f" ] && kill "$(cat "$WORK/$f")" 2>/dev/null; done; sleep 0.2'
start_verifyd

mkdir -p "$WORK/dovecot/run" "$WORK/dovecot/state" "$WORK/mail/$U" || fail "mkdir"
chown "$U:$(id -g "$U")" "$WORK/mail/$U"
chmod 755 "$WORK/dovecot"
start_dovecot() {
	PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
	cat > "$WORK/dovecot.conf" <<EOD
protocols = imap
listen = 127.0.0.1
base_dir = $WORK/dovecot/run
state_dir = $WORK/dovecot/state
instance_name = dovecot-$TAG
log_path = $WORK/dovecot/log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:$WORK/mail/%u
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service auth-worker {
  user = \$default_internal_user
}
passdb {
  driver = pam
  args = $SERVICE
}
userdb {
  driver = static
  args = uid=$U gid=$(id -g "$U") home=$WORK/mail/%u
}
EOD
	"$DOVECOT" -F -c "$WORK/dovecot.conf" 2>>"$WORK/dovecot/stderr" &
	echo $! > "$WORK/dovecot.pid"
	i=0
	until curl -s "imap://127.0.0.1:$PORT/" -X CAPABILITY -u x:y >/dev/null 2>&1 ||
		[ $? -eq 67 ] || [ $i -ge 50 ]; do
		kill -0 "$(cat "$WORK/dovecot.pid")" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 50 ]
}
tries=0
until start_dovecot; do
	tries=$((tries + 1))
	[ -f "$WORK/dovecot.pid" ] && kill "$(cat "$WORK/dovecot.pid")" 2>/dev/null
	sleep 0.2
	[ $tries -lt 5 ] || fail "dovecot did not start: $(cat "$WORK/dovecot/stderr" "$WORK/dovecot/log" 2>/dev/null | tail -5)"
done

login() {  # USER PASSWORD: true when IMAP LOGIN succeeds
	curl -s -o /dev/null "imap://127.0.0.1:$PORT/" -u "$1:$2"
}
yes_() { login "$2" "$3" || fail "$1: refused ($(tail -2 "$WORK/dovecot/log"))"; }
no_() { login "$2" "$3" && fail "$1: logged in"; true; }
yes_ "a good token" "$U" "$TOK"
ps -o user= -C auth | grep -qx dovecot ||
	fail "no auth worker runs as dovecot: $(ps -o user=,args= -C auth)"
no_ "a wrong token" "$U" "$WRONG"
no_ "a suspended token" "$U" "$SUS"
no_ "a revoked token" "$U" "$REV"
no_ "a token given with another user's name" "$O" "$TOK"
no_ "another user's token" "$U" "$THEIRS"
no_ "a token for another service" "$U" "$SSHD"
pass_msg "Dovecot IMAP, auth worker as dovecot: a good token logs in; wrong, suspended, revoked, other user's, other service's do not"
yes_ "a token allowed from 127.0.0.1" "$U" "$LOCAL"
no_ "a token allowed only from 192.0.2.0/24" "$U" "$FAR"
pass_msg "Dovecot passes the client address: --allow-from honoured"
grep -q "asked by uid $(id -u dovecot)" "$WORK/verifyd.log" ||
	fail "the verify service did not log dovecot's requests: $(tail -3 "$WORK/verifyd.log")"
echo "dovecot: all checks passed"
