# SPDX-License-Identifier: ISC
# Shared by the fleet tests: a test CA, OpenLDAP providers in mirror mode
# generated from the shipped ldap/provider.ldif and ldap/base.ldif, on
# 127.0.0.1 high ports in a private directory; every server is stopped by
# its pid on every exit path.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

for p in slapd slapadd slappasswd ldapsearch ldapmodify openssl; do
	command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] ||
		skip "$p not installed (apt-get install slapd ldap-utils openssl)"
done
PATH=$PATH:/usr/sbin
: "${srcdir:=.}"
LDAPDIR=$(cd "$srcdir/ldap" && pwd)
MODULEDIR=${SLAPD_MODULEDIR:-/usr/lib/ldap}
SYSSCHEMA=${SLAPD_SCHEMADIR:-/etc/ldap/schema}
[ -f "$MODULEDIR/syncprov.la" ] || [ -f "$MODULEDIR/syncprov.so" ] ||
	skip "slapd modules not found in $MODULEDIR"

FW=$(mktemp -d "${TMPDIR:-/tmp}/apitoken-fleet.XXXXXX")
chmod 755 "$FW"
SUFFIX=dc=fleet,dc=test
ADMIN="cn=admin,$SUFFIX"
ADMIN_PW=admin-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
REPL_PW=repl-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
HOSTS="ou=hosts,$SUFFIX"
TOKENS="ou=tokens,$SUFFIX"
PEOPLE="ou=people,$SUFFIX"
PIDS=""

# On every exit path: a test's own undo steps (TEST_CLEANUP, evaluated),
# the persisting apitoken-syncd it started (SPID, empty once stopped), the
# providers.
fleet_cleanup() {
	[ -n "${TEST_CLEANUP:-}" ] && eval "$TEST_CLEANUP"
	[ -n "${SPID:-}" ] && kill -KILL "$SPID" 2>/dev/null
	for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
	for pid in $PIDS; do wait "$pid" 2>/dev/null; done
	rm -rf "$FW"
}
trap fleet_cleanup EXIT
trap 'exit 1' INT TERM HUP
# tests/e2e/lib.sh, when sourced after this file, traps EXIT itself; its
# cleanup runs EXTRA_CLEANUP first, so this one still runs, also when a
# test skips before it has started anything.
EXTRA_CLEANUP=fleet_cleanup

# A free TCP port on 127.0.0.1 (nothing listening there now).
free_port() {
	local p
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# make_ca DIR: a CA and a certificate for 127.0.0.1 signed by it.
make_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=apitoken test CA $(basename "$d")" \
		>/dev/null 2>&1 || fail "openssl: CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=127.0.0.1" \
		>/dev/null 2>&1 || fail "openssl: request"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/server.pem" -days 2 -extfile "$d/ext" \
		>/dev/null 2>&1 || fail "openssl: sign"
	chmod 600 "$d/server.key"
}

# provider_config N PEER_PORT CA_DIR: provider N's slapd.d from provider.ldif.
provider_config() {
	local n=$1 peer=$2 ca=$3 d=$FW/p$1
	rm -rf "$d"
	mkdir -p "$d/slapd.d" "$d/data/db" "$d/data/accesslog" "$d/schema"
	cp "$SYSSCHEMA/core.ldif" "$LDAPDIR/apitoken.ldif" "$d/schema/"
	sed -e "s|@SERVER_ID@|$n|g" -e "s|@PEER_URI@|ldap://127.0.0.1:$peer/|g" \
	    -e "s|@SUFFIX@|$SUFFIX|g" -e "s|@DBDIR@|$d/data|g" \
	    -e "s|@SCHEMADIR@|$d/schema|g" -e "s|@MODULEDIR@|$MODULEDIR|g" \
	    -e "s|@TLS_CA@|$ca/ca.pem|g" -e "s|@TLS_CERT@|$ca/server.pem|g" \
	    -e "s|@TLS_KEY@|$ca/server.key|g" \
	    -e "s|@ROOTPW@|$(slappasswd -s "$ADMIN_PW")|g" -e "s|@REPL_PW@|$REPL_PW|g" \
	    "$LDAPDIR/provider.ldif" > "$d/config.ldif"
	slapadd -n0 -F "$d/slapd.d" -l "$d/config.ldif" > "$d/slapadd.log" 2>&1 ||
		{ cat "$d/slapadd.log"; fail "slapadd -n0 provider $n"; }
}

# load_base N: the shipped base.ldif (and any LDIF on stdin) into provider N,
# offline.  Only one provider of a mirror pair is loaded: the other
# replicates it, with the same entryUUIDs.
load_base() {
	local d=$FW/p$1
	{ sed -e "s|@SUFFIX@|$SUFFIX|g" -e "s|@DC@|fleet|g" \
	    -e "s|@REPL_PW_HASH@|$(slappasswd -s "$REPL_PW")|g" \
	    -e "s|@UID_MIN@|${UID_MIN:-60600}|g" -e "s|@UID_MAX@|${UID_MAX:-61099}|g" \
	    "$LDAPDIR/base.ldif"; echo; cat; } > "$d/base.ldif"
	slapadd -F "$d/slapd.d" -b "$SUFFIX" -w -l "$d/base.ldif" > "$d/slapadd-base.log" 2>&1 ||
		{ cat "$d/slapadd-base.log"; fail "slapadd base into provider $1"; }
}

# host_ldif NAME [GROUP]: the entry of host NAME's account (password
# NAME-pw, group web unless given), for load_base.
host_ldif() {
	printf 'dn: cn=%s,%s\nobjectClass: apitokenHostAccount\ncn: %s\napitokenHostGroup: %s\nuserPassword: %s\n\n' \
		"$1" "$HOSTS" "$1" "${2:-web}" "$(slappasswd -s "$1-pw")"
}
# person_ldif UID PASSWORD: the entry of a person who binds as uid=UID.
person_ldif() {
	printf 'dn: uid=%s,%s\nobjectClass: person\nobjectClass: uidObject\ncn: %s\nsn: %s\nuid: %s\nuserPassword: %s\n\n' \
		"$1" "$PEOPLE" "$1" "$1" "$1" "$(slappasswd -s "$2")"
}

# fleet_directory [LDIF]: the test CA in $CA (make_ca); a free port and
# URI for each of providers 1 and 2 (P1 U1, P2 U2); provider 1, its mirror
# peer on P2 (started by a test that wants it), loaded with the base, host
# web01's account (host_ldif) and the file LDIF when given, and started.
fleet_directory() {
	CA=$FW/ca
	make_ca "$CA"
	P1=$(free_port)
	P2=$(free_port)
	U1=ldap://127.0.0.1:$P1/
	U2=ldap://127.0.0.1:$P2/
	{ host_ldif web01; [ -z "${1:-}" ] || cat "$1"; } > "$FW/load.ldif"
	provider_config 1 "$P2" "$CA"
	load_base 1 < "$FW/load.ldif"
	start_provider 1 "$P1"
}

# start_provider N PORT: (the test CA in $CA) run slapd N in the foreground (so $! is its pid)
# and wait, bounded, until it answers.
start_provider() {
	local n=$1 port=$2 d=$FW/p$1 i
	slapd -F "$d/slapd.d" -h "ldap://127.0.0.1:$port/" -d ${SLAPD_DEBUG:-0} >> "$d/slapd.log" 2>&1 &
	eval "PID_P$n=$!"
	PIDS="$PIDS $!"
	for i in $(seq 1 100); do
		LDAPTLS_CACERT=$CA/ca.pem ldapsearch -x -ZZ -LLL -H "ldap://127.0.0.1:$port/" \
			-s base -b "" namingContexts >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$d/slapd.log"
	fail "provider $n did not start on port $port"
}

stop_provider() {
	local pid
	eval "pid=\$PID_P$1"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# lds URI BINDDN PW ARGS...: ldapsearch over StartTLS with the test CA.
lds() {
	local uri=$1 dn=$2 pw=$3
	shift 3
	LDAPTLS_CACERT=$CA/ca.pem ldapsearch -x -ZZ -LLL -o ldif-wrap=no -H "$uri" \
		-D "$dn" -w "$pw" "$@"
}
ldm() {
	local uri=$1 dn=$2 pw=$3
	shift 3
	LDAPTLS_CACERT=$CA/ca.pem ldapmodify -x -ZZ -H "$uri" -D "$dn" -w "$pw" "$@"
}

# What a "host" needs, for the tests that run apitoken-syncd (they source
# tests/e2e/lib.sh too, for $APITOKEN, $STORE, $CONF and $SERVICE).
SYNCD=$(cd "${top_builddir:-.}" && pwd)/apitoken-syncd

# mint N OWNER: a token made the way an admin tool makes one, in a
# throwaway store: the secret stays here, its BLAKE2b-256 goes to the
# directory (token_ldif).
mint() {
	APITOKEN_CONFIG=$CONF "$APITOKEN" --store "$WORK/mint" create "m$1" --user "$2" ||
		fail "mint a token"
}
tok_id() { printf '%s' "$1" | cut -c8-19; }
tok_hash() {
	printf '%s' "$1" | cut -c21-52 | tr -d '\n' | b2sum -l 256 | cut -d' ' -f1 |
		tr a-f A-F | basenc --base16 -d | base64 -w0
}
# token_ldif TOKEN NAME OWNER HOST [UID]: the add of its entry under
# ou=tokens; with UID, a service user's of that uid.
token_ldif() {
	printf 'dn: apitokenId=%s,ou=tokens,%s\nchangetype: add\nobjectClass: apitoken\napitokenId: %s\ncn: %s\napitokenSecretHash:: %s\napitokenOwner: %s\napitokenStatus: active\napitokenService: %s\napitokenHost: %s\n' \
		"$(tok_id "$1")" "$SUFFIX" "$(tok_id "$1")" "$2" "$(tok_hash "$1")" "$3" "$SERVICE" "$4"
	[ -z "${5:-}" ] || printf 'apitokenServiceUser: TRUE\napitokenUidNumber: %s\n' "$5"
	echo
}
# add_token TOKEN NAME HOST: its entry, owned by USER1, added on $U1.
add_token() {
	token_ldif "$1" "$2" "$USER1" "$3" | ldm "$U1" "$ADMIN" "$ADMIN_PW" >/dev/null ||
		fail "ldapmodify add $2"
}
# status_ldif TOKEN STATUS: the modify that sets its apitokenStatus.
status_ldif() {
	printf 'dn: apitokenId=%s,ou=tokens,%s\nchangetype: modify\nreplace: apitokenStatus\napitokenStatus: %s\n\n' \
		"$(tok_id "$1")" "$SUFFIX" "$2"
}

# fleet_host_init, once tests/e2e/lib.sh is sourced: how fleet_login
# logs in.  pamtester cannot load a sanitizer-built module (ASan must come
# first in a program): there root's verify mode, the same decision in the
# sanitizer-built helper, stands in, so the sync paths still run under
# ASan with nothing skipped.
fleet_host_init() {
	if ldd "$MODULE" 2>/dev/null | grep -q libasan; then
		FLEET_SAN=yes
	else
		FLEET_SAN=no
		command -v pamtester >/dev/null || skip "no pamtester (apt-get install pamtester)"
	fi
	[ -x "$SYNCD" ] || fail "apitoken-syncd not built: $SYNCD"
}
# stop_syncd PID LOG: SIGTERM the persisting daemon; it must exit 0 and
# its log hold no sanitizer report (in sanitizer builds a leak or an error
# found on the way out makes the exit status non-zero too).
stop_syncd() {
	kill -TERM "$1"
	wait "$1"
	_st=$?
	[ "$_st" -eq 0 ] || { cat "$2"; fail "apitoken-syncd exited $_st after SIGTERM"; }
	! grep -q 'Sanitizer\|runtime error' "$2" || { cat "$2"; fail "a sanitizer report from apitoken-syncd"; }
}
# host_user LETTER: USER1, a local account (${TAG}LETTER) whose tokens
# the fleet holds, and the host's PAM service (write_service).
host_user() {
	USER1=$TAG$1
	add_user "$USER1"
	write_service
}
# host_conf CONF HOST [PROVIDERS]: what host HOST's apitoken-syncd needs,
# appended to CONF: the providers ($U1 unless given), $TOKENS, its
# identity with its password (in CONF.pw) and group web.
host_conf() {
	printf '%s-pw\n' "$2" > "$1.pw"
	chmod 600 "$1.pw"
	cat >> "$1" <<EOC
fleet_providers = ${3:-$U1}
fleet_base = $TOKENS
fleet_bind_dn = cn=$2,$HOSTS
fleet_bind_password_file = $1.pw
fleet_ca_file = $CA/ca.pem
fleet_host = $2
fleet_host_groups = web
EOC
}
# syncd ARGS...: the host's apitoken-syncd on $CONF and $STORE.
syncd() { "$SYNCD" --config "$CONF" --store "$STORE" "$@"; }
# syncd_start: the host's apitoken-syncd persisting in the background,
# its own pid in SPID (see stop_syncd: not a subshell's, so not through
# syncd), its log in LOG.
syncd_start() {
	LOG=$WORK/syncd.log
	: > "$LOG" # there before the daemon writes to it, for logged
	"$SYNCD" --config "$CONF" --store "$STORE" 2> "$LOG" &
	SPID=$!
}
# logged PATTERN [N]: the daemon's log has N (1) lines matching PATTERN.
logged() { [ "$(grep -c "$1" "$LOG")" -ge "${2:-1}" ]; }
# until_ms LIMIT WHAT COMMAND...: run COMMAND until it succeeds, LIMIT ms
# at most (else the daemon's log, and fail); the time taken in $MS.
until_ms() {
	limit=$1 what=$2
	shift 2
	t0=$(date +%s%N)
	until "$@"; do
		MS=$(( ($(date +%s%N) - t0) / 1000000 ))
		[ "$MS" -lt "$limit" ] || { cat "$LOG"; fail "$what: not within $limit ms"; }
		sleep 0.01
	done
	MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# fleet_login USER TOKEN: auth and account for $SERVICE against $STORE.
fleet_login() {
	if [ "$FLEET_SAN" = yes ]; then
		vrequest "$1" "$SERVICE" 127.0.0.1 "$2" |
			APITOKEN_CONFIG=$CONF "$APITOKEN" --store "$STORE" verify 2>/dev/null |
			cut -f2 | grep -qx ok
	else
		printf '%s\n' "$2" | pamtester "$SERVICE" "$1" authenticate acct_mgmt >/dev/null 2>&1
	fi
}
refused() { ! fleet_login "$@"; }

# store_ids: the ids of the host's live fleet tokens (status as well),
# sorted; dir_ids URI: the same from the directory, as root reads it.
store_ids() {
	APITOKEN_CONFIG=$CONF "$APITOKEN" --store "$STORE" list --json |
		jq -r '.[] | select(.origin == "fleet") | "\(.id) \(.status)"' | sort
}
dir_ids() {
	lds "$1" "$ADMIN" "$ADMIN_PW" -b "ou=tokens,$SUFFIX" "(&(objectClass=apitoken)${2:-})" \
		apitokenId apitokenStatus |
		awk '/^apitokenId: /{id=$2} /^apitokenStatus: /{st=$2} /^$/{if(id)print id, st; id=""}
			END{if(id)print id, st}' | sort
}
