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
PIDS=""

fleet_cleanup() {
	for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
	for pid in $PIDS; do wait "$pid" 2>/dev/null; done
	rm -rf "$FW"
}
trap 'fleet_cleanup; [ -n "${EXTRA_CLEANUP:-}" ] && eval "$EXTRA_CLEANUP"' EXIT
trap 'exit 1' INT TERM HUP

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
