# SPDX-License-Identifier: ISC
# Debian's real systemd as PID 1 of private PID, mount, UTS, IPC and
# network namespaces, for tests of the shipped units (sourced by
# tests/e2e/systemd.sh, tests/fleet/systemd.sh and tests/deb/cycle.sh,
# which define fail).
#
# It loads only the units it is given, empty versions of the targets that
# units' default dependencies name, and journald with a volatile journal.
# Inside, /run, /srv, /tmp and /var/tmp are tmpfs of its own; everything
# else is the machine's file system, so what its services write outside
# those is written on the machine.
#
#   sdns_unusable            prints why it cannot run here; false when it can
#   sdns_boot WORK STAGE     STAGE/units/* are the units; all of STAGE is
#                            copied to /run/zzapt inside, and STAGE/srv, when
#                            there, to /srv; waits for "running" (10 s).
#                            With SDNS_NET=host it shares the machine's
#                            network (a provider on its 127.0.0.1)
#   sdns CMD...              CMD inside (its mount and PID namespaces)
#   sdns_stop                kills it by pid, removes the cgroups it made and
#                            lets the next test boot one; for the caller's
#                            clean-up, any number of times
SDNS_SYSTEMD=/lib/systemd/systemd
SD=""
SDNS_UNS=""
SDNS_HELD=""

sdns_unusable() {
	[ -x "$SDNS_SYSTEMD" ] || { echo "no systemd (apt-get install systemd)"; return 0; }
	for _p in unshare nsenter systemctl journalctl; do
		command -v $_p >/dev/null || { echo "no $_p"; return 0; }
	done
	# Without a cgroup namespace the cgroup tree is shared: another
	# systemd's is left alone.
	if [ "$(cat /proc/1/comm)" = systemd ]; then
		echo "systemd is this machine's init; the test boots one of its own, for machines and containers without"
		return 0
	fi
	command -v flock >/dev/null || { echo "no flock"; return 0; }
	[ -d /srv ] || { echo "no /srv to mount a tmpfs on"; return 0; }
	unshare --pid --fork --mount --uts --ipc --net true 2>/dev/null ||
		{ echo "cannot make namespaces here"; return 0; }
	return 1
}

sdns_boot() {
	_w=$1 _s=$2
	# One at a time (make -j): each makes init.scope and system.slice at
	# the root of the one cgroup tree.  Empty ones a killed run left go.
	exec 8< /sys/fs/cgroup
	flock -w 600 8 || fail "another test's systemd held the cgroup tree for 10 minutes"
	SDNS_HELD=yes
	sdns_rmcg || fail "cgroups of another systemd are in use:$_left"
	for _t in zzapt sysinit basic sockets shutdown; do
		printf '[Unit]\nDescription=%s (test)\nDefaultDependencies=no\n' "$_t" > "$_s/units/$_t.target"
	done
	cp /lib/systemd/system/systemd-journald.socket \
		/lib/systemd/system/systemd-journald-dev-log.socket "$_s/units/" || fail "journald's units"
	# Its audit socket needs the machine's network namespace.
	sed -e 's/ systemd-journald-audit.socket//g' /lib/systemd/system/systemd-journald.service \
		> "$_s/units/systemd-journald.service" || fail "journald's unit"
	# The stage is copied before /tmp and /var/tmp are covered: the work
	# directory may be under one.  SYSTEMD_UNIT_PATH replaces the unit
	# path; should a systemd not honour it, the machine's units (tmpfiles
	# emptying /tmp, sysusers, sysctl) are not there to be loaded either.
	cat > "$_w/sdns-boot" <<EOB
#!/bin/sh
set -e
exec 3> "$_w/systemd.log"
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /srv
mkdir -p /run/zzapt /run/systemd/journald.conf.d /run/empty
cp -a "$_s/." /run/zzapt/
if [ -d /run/zzapt/srv ]; then cp -a /run/zzapt/srv/. /srv/; rm -rf /run/zzapt/srv; fi
chmod 755 /run/zzapt
printf '[Journal]\nStorage=volatile\n' > /run/systemd/journald.conf.d/zzapt.conf
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system \\
	/lib/systemd/system-generators /usr/lib/systemd/system-generators; do
	[ -d "\$d" ] && mount --bind /run/empty "\$d"
done
export container=zzapt SYSTEMD_UNIT_PATH=/run/zzapt/units \\
	SYSTEMD_GENERATOR_PATH=/run/empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/run/empty
exec $SDNS_SYSTEMD --system --unit=zzapt.target --log-target=journal --log-level=info >&3 2>&3
EOB
	chmod 755 "$_w/sdns-boot"
	_net=--net
	[ "${SDNS_NET:-}" = host ] && _net=""
	unshare --pid --fork --mount --mount-proc --uts --ipc $_net --propagation private \
		"$_w/sdns-boot" 2>>"$_w/unshare.log" &
	SDNS_UNS=$!
	_i=0
	while [ -z "$SD" ] && [ $_i -lt 50 ]; do
		SD=$(pgrep -P "$SDNS_UNS" -x systemd) || { sleep 0.1; _i=$((_i + 1)); }
	done
	[ -n "$SD" ] || fail "systemd did not start: $(cat "$_w/systemd.log" "$_w/unshare.log")"
	_i=0
	until [ "$(sdns systemctl is-system-running 2>/dev/null)" = running ] || [ $_i -ge 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(sdns systemctl is-system-running 2>/dev/null)" = running ] ||
		fail "systemd is $(sdns systemctl is-system-running 2>&1): $(tail -5 "$_w/systemd.log")"
	sdns systemctl start systemd-journald.socket systemd-journald-dev-log.socket \
		systemd-journald.service || fail "journald did not start"
}

sdns() { nsenter -t "$SD" -m -p -- "$@"; }

# Removes the cgroups a systemd makes at the root of each hierarchy,
# deepest first; false, with them in _left, when some stay.
sdns_rmcg() {
	_left=""
	for _h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		for _c in init.scope system.slice; do
			[ -d "$_h$_c" ] || continue
			find "$_h$_c" -depth -type d -exec rmdir {} + 2>/dev/null || true
			[ -d "$_h$_c" ] && _left="$_left $_h$_c"
		done
	done
	[ -z "$_left" ]
}

# PID 1 of a PID namespace takes all of it along; a dying process may hold
# its cgroup a moment longer.
sdns_stop() {
	[ -n "$SDNS_HELD" ] || return 0
	if [ -n "$SD" ]; then kill -KILL "$SD" 2>/dev/null || true; fi
	if [ -n "$SDNS_UNS" ]; then wait "$SDNS_UNS" 2>/dev/null || true; fi
	SD="" SDNS_UNS=""
	_i=0
	until sdns_rmcg; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { echo "cgroups left behind:$_left" >&2; break; }
		sleep 0.1
	done
	SDNS_HELD=""
	exec 8<&-
}
