#!/bin/sh
# SPDX-License-Identifier: ISC
# The admin side of fleet mode against a real slapd provider (the shipped
# schema and ACLs, tests/fleet/lib.sh): apitoken create --fleet, as a
# member of cn=admins, prints a token that logs in on a host once its
# apitoken-syncd has synchronised; the directory holds the hash only;
# revoke --fleet reaches the host; service users get distinct uids from
# the pool, never reused, and a used-up pool says so; a self-service
# identity makes its own tokens only; --ldif output goes in with
# ldapmodify; and apitoken --fleet, setuid, reaches the directory as the
# user who ran it and nobody else.
[ "${WITH_FLEET:-yes}" = no ] && { echo "SKIP: configured --without-fleet"; exit 77; }
# A uid pool of three, so that it runs out here.
UID_MIN=61090
UID_MAX=61092
. "$srcdir/tests/fleet/lib.sh"
. "$srcdir/tests/e2e/lib.sh"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
# apitoken reaches the built, uninstalled apitoken-fleet through
# APITOKEN_FLEET_PROGRAM, which only --enable-test-hooks builds honour.
grep -q "^#define APITOKEN_TEST_HOOKS" "${top_builddir:-.}/config.h" ||
	skip "needs --enable-test-hooks (apitoken runs the built apitoken-fleet through APITOKEN_FLEET_PROGRAM)"
fleet_host_init
FLEET=$(cd "$top_builddir" && pwd)/apitoken-fleet
[ -x "$FLEET" ] || fail "apitoken-fleet not built: $FLEET"

USER1=${TAG}f
OTHER=${TAG}o
ADMU=${TAG}adm
SELF_PW=self-$$-pw
ADM_PW=adm-$$-pw
{ person_ldif "$USER1" "$SELF_PW"; person_ldif "$ADMU" "$ADM_PW"; } > "$FW/people.ldif"
fleet_directory "$FW/people.ldif"
printf 'dn: cn=admins,ou=groups,%s\nchangetype: modify\nadd: member\nmember: uid=%s,%s\n' \
	"$SUFFIX" "$ADMU" "$PEOPLE" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null ||
	fail "make $ADMU an admin"

add_user "$USER1"
add_user "$OTHER"
write_service

# The admin's configuration: a member of cn=admins, not the rootDN, so
# that the shipped access rules decide.
printf '%s\n' "$ADM_PW" > "$WORK/adm.pw"
chmod 600 "$WORK/adm.pw"
ADMCONF=$WORK/admin.conf
cat > "$ADMCONF" <<EOC
fleet_providers = ldap://127.0.0.1:$(free_port)/, $U1
fleet_base = $TOKENS
fleet_ca_file = $CA/ca.pem
fleet_admin_bind_dn = uid=$ADMU,$PEOPLE
fleet_admin_password_file = $WORK/adm.pw
EOC
chmod 644 "$ADMCONF"
adm() { APITOKEN_CONFIG=$ADMCONF APITOKEN_FLEET_PROGRAM=$FLEET "$APITOKEN" "$@"; }
fl() { APITOKEN_CONFIG=$ADMCONF "$FLEET" "$@"; }

# The host: its store, its PAM service, its sync daemon.
host_conf "$CONF" web01
sync_once() {
	syncd --helper "$APITOKEN" --once 2> "$WORK/syncd.log" ||
		{ cat "$WORK/syncd.log"; fail "syncd --once"; }
}
login() { fleet_login "$@"; }
secret() { printf '%s' "$1" | cut -c21-52 | tr -d '\n'; }
b64() { printf '%s' "$1" | base64 -w0; }
dump() { lds "$U1" "$ADMIN" "$ADMIN_PW" -b "$SUFFIX" "$@"; }

# create --fleet: the first provider does not answer, the second does.
T1=$(adm create ci-one --fleet --user "$USER1" --service "$SERVICE" --host web \
	--description "CI deploys" 2> "$WORK/create.err") ||
	fail "create --fleet: $(cat "$WORK/create.err")"
printf '%s' "$T1" | grep -Eq '^apitok_[0-9A-Z]{12}_[0-9A-Za-z]{38}$' || fail "create printed '$T1'"
grep -q "only time" "$WORK/create.err" || fail "no once-only notice: $(cat "$WORK/create.err")"
ID1=$(tok_id "$T1")
sync_once
login "$USER1" "$T1" || fail "a token created with --fleet does not log in on the host"
at show "$ID1" --json | jq -e '.origin == "fleet"' >/dev/null || fail "the host's replica is not a fleet token"
ok "apitoken create --fleet (first provider down, second answers) -> syncd --once -> the token logs in on web01"

# The directory has the hash, and nowhere the secret.
dump '*' + > "$WORK/dir.ldif" || fail "ldapsearch"
grep -q "apitokenId: $ID1" "$WORK/dir.ldif" || fail "no entry for $ID1"
grep -qF "apitokenSecretHash:: $(tok_hash "$T1")" "$WORK/dir.ldif" ||
	{ grep Hash "$WORK/dir.ldif"; tok_hash "$T1"; echo; fail "the entry's hash is not BLAKE2b-256 of the secret"; }
for s in "$T1" "$(secret "$T1")" "$(b64 "$T1")" "$(b64 "$(secret "$T1")")"; do
	grep -qF -- "$s" "$WORK/dir.ldif" && fail "the secret is in the directory"
done
ok "the directory holds BLAKE2b-256 of the secret and not the secret, plain or base64"

# list and show: apitoken's field names.
OUT=$(fl show "$ID1" --json) || fail "show --json"
json '.id == "'"$ID1"'" and .name == "ci-one" and .user == "'"$USER1"'" and .status == "active"
	and .services == ["'"$SERVICE"'"] and .hosts == ["web"] and .origin == "fleet"
	and .description == "CI deploys" and .service_user == false and .revision == 1
	and (.created | has("at") and has("by")) and (has("token") | not)'
fl show "$ID1" > "$WORK/show.txt" || fail "show"
grep -qx "dn: *apitokenId=$ID1,$TOKENS" "$WORK/show.txt" &&
	grep -qx "description: *CI deploys" "$WORK/show.txt" ||
	{ cat "$WORK/show.txt"; fail "show: the dn or description line"; }
OUT=$(adm list --fleet --json) || fail "list --fleet --json"
json 'length == 1 and .[0].id == "'"$ID1"'"'
ok "show and list --json name the fields as apitoken does"

# revoke --fleet: refused on the host after the next sync.
adm revoke ci-one --fleet 2> "$WORK/revoke.err" || fail "revoke --fleet: $(cat "$WORK/revoke.err")"
OUT=$(fl show ci-one --json) || fail "show"
json '.status == "revoked" and .revision == 2'
sync_once
refused "$USER1" "$T1" || fail "revoked with --fleet, still logs in after syncd"
out=$(adm revoke ci-one --fleet 2>&1) && fail "a second revoke succeeded"
echo "$out" | grep -q "already revoked" || fail "second revoke: $out"
ok "revoke --fleet -> syncd --once -> refused on web01; revoking again says it is revoked already"

# suspend, activate and rotate (with a grace period for the old secret).
T2=$(fl create ci-two --user "$USER1" --service "$SERVICE" --host web01 2>/dev/null) || fail "create ci-two"
fl suspend ci-two 2>/dev/null || fail "suspend"
sync_once
refused "$USER1" "$T2" || fail "a suspended fleet token logs in"
fl activate ci-two 2>/dev/null || fail "activate"
T2B=$(fl rotate ci-two --grace 1h 2>/dev/null) || fail "rotate --grace"
[ "$(tok_id "$T2B")" = "$(tok_id "$T2")" ] && [ "$T2B" != "$T2" ] || fail "rotate: '$T2B'"
sync_once
login "$USER1" "$T2B" || fail "the rotated secret does not log in"
login "$USER1" "$T2" || fail "the old secret does not log in during the grace"
T2C=$(fl rotate ci-two 2>/dev/null) || fail "rotate"
sync_once
login "$USER1" "$T2C" || fail "the rotated secret does not log in"
refused "$USER1" "$T2B" || fail "the old secret logs in after a rotate without grace"
ok "suspend, activate, rotate --grace and rotate, each followed on the host"

# Service users: uids from the pool, distinct, never reused; then none left.
# For hosts of group db only: web01 makes no accounts for them.
S1=$(fl create "${TAG}sa" --service-user --host db --json 2>/dev/null) || fail "create svc-a"
S2=$(fl create "${TAG}sb" --service-user --host db --json 2>/dev/null) || fail "create svc-b"
UA=$(printf '%s' "$S1" | jq -r .uid)
UB=$(printf '%s' "$S2" | jq -r .uid)
[ "$UA" = "$UID_MIN" ] && [ "$UB" = $((UID_MIN + 1)) ] || fail "service-user uids $UA, $UB"
dump "(apitokenId=$(printf '%s' "$S1" | jq -r .id))" apitokenServiceUser apitokenUidNumber |
	grep -q "apitokenUidNumber: $UA" || fail "no apitokenUidNumber in the entry"
fl delete "${TAG}sb" 2>/dev/null || fail "delete svc-b"
S3=$(fl create "${TAG}sc" --service-user --host db --json 2>/dev/null) || fail "create svc-c"
UC=$(printf '%s' "$S3" | jq -r .uid)
[ "$UC" = $((UID_MIN + 2)) ] || fail "after a delete the next service user got uid $UC"
out=$(fl create "${TAG}sd" --service-user --host db 2>&1) && fail "a service user past apitokenUidMax"
[ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "used up" || fail "pool exhausted: $out"
dump "(apitokenId=*)" cn | grep -q "cn: ${TAG}sd" && fail "a token was written though no uid was left"
ok "service users get $UA, $UB; after a delete $UC (never reused); then: $out"

# A self-service identity (ou=people, not an admin): its own tokens only.
printf '%s\n' "$SELF_PW" > "$WORK/self.pw"
chown "$USER1" "$WORK/self.pw"
chmod 600 "$WORK/self.pw"
SELFCONF=$WORK/self.conf
sed -e "s|^fleet_admin_bind_dn = .*|fleet_admin_bind_dn = uid=%u,$PEOPLE|" \
	-e "s|^fleet_admin_password_file = .*|fleet_admin_password_file = $WORK/self.pw|" \
	"$ADMCONF" > "$SELFCONF"
chmod 644 "$SELFCONF"
BIN=$WORK/bin
mkdir "$BIN"
chmod 755 "$BIN"
cp "$TEST_APITOKEN" "$BIN/apitoken"
chown root:root "$BIN/apitoken"
chmod 4755 "$BIN/apitoken"
cp "$FLEET" "$BIN/apitoken-fleet"
chmod 755 "$BIN/apitoken-fleet"
# as USER [VAR=VALUE...] -- ARGS: the setuid copy, run by USER
as() {
	who=$1
	shift
	(cd / && setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups \
		env APITOKEN_CONFIG="$SELFCONF" APITOKEN_FLEET_PROGRAM="$BIN/apitoken-fleet" \
		"$BIN/apitoken" "$@")
}
# It drops everything before the exec: what runs has the caller's ids.
cat > "$BIN/probe" <<'EOP'
#!/bin/sh
grep -E '^(Uid|Gid|CapEff|CapPrm):' /proc/self/status
EOP
chmod 755 "$BIN/probe"
ids=$(cd / && setpriv --reuid="$USER1" --regid="$(id -g "$USER1")" --init-groups \
	env APITOKEN_FLEET_PROGRAM="$BIN/probe" "$BIN/apitoken" list --fleet) || fail "probe: $ids"
u=$(id -u "$USER1")
g=$(id -g "$USER1")
echo "$ids" | grep -q "^Uid:	$u	$u	$u	$u$" || fail "uids after the drop: $ids"
echo "$ids" | grep -q "^Gid:	$g	$g	$g	$g$" || fail "gids after the drop: $ids"
echo "$ids" | grep -q "^CapEff:	0*$" || fail "capabilities after the drop: $ids"
ok "apitoken --fleet, setuid, execs as the caller: $(echo "$ids" | tr '\n\t' '  ')"

M1=$(as "$USER1" create mine --fleet --user "$USER1" --service "$SERVICE" --host web 2> "$WORK/self.err") ||
	fail "self-service create --fleet: $(cat "$WORK/self.err")"
dump "(apitokenId=$(tok_id "$M1"))" creatorsName | grep -q "creatorsName: uid=$USER1,$PEOPLE" ||
	fail "the self-service token was not written as uid=$USER1"
sync_once
login "$USER1" "$M1" || fail "a self-service fleet token does not log in"
ok "a self-service user creates its own token through setuid apitoken --fleet, bound as uid=$USER1"

expect_refused() { # WHAT ARGS...: refused in one line; it is in $REFUSAL
	what=$1
	shift
	REFUSAL=$(as "$USER1" "$@" 2>&1) && fail "$what was allowed"
	[ "$(echo "$REFUSAL" | wc -l)" -eq 1 ] || fail "$what: not one line: $REFUSAL"
}
fl create theirs-ci --user "$OTHER" --service "$SERVICE" --host web >/dev/null 2>&1 ||
	fail "create a token of $OTHER"
expect_refused "a token for another owner" create theirs --fleet --user "$OTHER" --service "$SERVICE" --host web
echo "$REFUSAL" | grep -q "for itself only" || fail "another owner: $REFUSAL"
expect_refused "a service user" create "${TAG}ss" --fleet --service-user --host db
echo "$REFUSAL" | grep -q "only fleet admins create service users" || fail "service user: $REFUSAL"
expect_refused "a sudo token" create sudo1 --fleet --user "$USER1" --service sudo --host web
echo "$REFUSAL" | grep -q "never service users or sudo tokens" || fail "sudo: $REFUSAL"
expect_refused "revoking another owner's token" revoke theirs-ci --fleet
echo "$REFUSAL" | grep -q "no fleet token theirs-ci" || fail "another's token: $REFUSAL"
ok "a self-service identity may not make tokens for others, service users or sudo, nor touch others' tokens"

# The password file is opened as the caller: root's is out of reach.
chown root "$WORK/self.pw"
out=$(as "$USER1" list --fleet 2>&1) && fail "a root-only password file was read for $USER1"
echo "$out" | grep -q "Permission denied" || fail "root-only password file: $out"
ROOTONLY=$out
chown "$USER1" "$WORK/self.pw"
chmod 640 "$WORK/self.pw"
out=$(as "$USER1" list --fleet 2>&1) && fail "a group-readable password file was used"
echo "$out" | grep -q "nobody else can read" || fail "group-readable password file: $out"
chmod 600 "$WORK/self.pw"
ok "the password file is read with the caller's rights: a root-only one is refused ($ROOTONLY)"

# Errors a person understands, one line each.
sed "s|^fleet_admin_password_file = .*|fleet_admin_password_file = $WORK/wrong.pw|" "$ADMCONF" > "$WORK/wrong.conf"
printf 'not-it\n' > "$WORK/wrong.pw"
chmod 600 "$WORK/wrong.pw"
out=$(APITOKEN_CONFIG=$WORK/wrong.conf "$FLEET" list 2>&1) && fail "a wrong password was accepted"
echo "$out" | grep -q "refused the bind.*wrong password" || fail "wrong password: $out"
sed "s|^fleet_providers = .*|fleet_providers = ldap://127.0.0.1:$(free_port)/|" "$ADMCONF" > "$WORK/down.conf"
out=$(APITOKEN_CONFIG=$WORK/down.conf "$FLEET" list 2>&1) && fail "no provider, and it succeeded"
echo "$out" | grep -q "no fleet provider answers" || fail "provider down: $out"
out=$(fl create x --user "$USER1" 2>&1) && fail "a create without --host"
echo "$out" | grep -q -- "--host" || fail "no --host: $out"
ok "wrong password, no provider, no --host: one clear line each"

# --ldif: the entry to a file, for ldapmodify; the token still on stdout.
L1=$(fl create ci-ldif --user "$USER1" --service "$SERVICE" --host web --ldif "$WORK/t.ldif" 2>/dev/null) ||
	fail "create --ldif"
grep -qF "$(secret "$L1")" "$WORK/t.ldif" && fail "the LDIF holds the secret"
dump "(cn=ci-ldif)" cn | grep -q "cn:" && fail "--ldif wrote to the directory"
ldm "$U1" "uid=$ADMU,$PEOPLE" "$ADM_PW" -f "$WORK/t.ldif" >/dev/null || fail "ldapmodify -f the LDIF"
sync_once
login "$USER1" "$L1" || fail "a token added from the --ldif output does not log in"
ok "create --ldif: ldapmodify adds it, the printed token logs in, the LDIF holds the hash only"

# Without apitoken-fleet: one line, no root left behind.
out=$(cd / && setpriv --reuid="$USER1" --regid="$(id -g "$USER1")" --init-groups \
	env APITOKEN_FLEET_PROGRAM="$BIN/none" "$BIN/apitoken" list --fleet 2>&1) && fail "ran a missing program"
[ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "not installed" ||
	fail "missing apitoken-fleet: $out"
ok "no apitoken-fleet installed: $out"
