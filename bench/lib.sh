# SPDX-License-Identifier: ISC
# bench/lib.sh - what bench/run and bench/fleet share: one row of the
# table per scenario, appended to $ROWS as LABEL|MODE|MEDIAN|P99|RATE|WRONG.
# pambench runs under $PIN (a taskset prefix, or empty) against the PAM
# services in $WORK/svc unless -d is given again.
# measure LABEL MODE SERVICE USER PASSFILE EXPECTED N [extra pambench args]
measure() {
	label=$1 mode=$2 service=$3 user=$4 pw=$5 exp=$6 n=$7
	shift 7
	pmode=$mode
	[ "$mode" = parallel ] && pmode=full  # with -P
	out=$($PIN "$PAMBENCH" -m "$pmode" -d "$WORK/svc" -s "$service" -u "$user" -f "$pw" \
		-e "$exp" -n "$n" -r 192.0.2.10 "$@") || true
	med=$(echo "$out" | sed -n 's/.*median_us=\([0-9.]*\).*/\1/p')
	p99=$(echo "$out" | sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p')
	rate=$(echo "$out" | sed -n 's/.*logins_per_s=\([0-9]*\).*/\1/p')
	wrong=$(echo "$out" | sed -n 's/.*wrong=\([0-9]*\).*/\1/p')
	echo "$label|$mode|$med|$p99|$rate|${wrong:-?}" >> "$ROWS"
	LAST_MED=$med LAST_P99=$p99
}

