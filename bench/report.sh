# SPDX-License-Identifier: GPL-2.0
#
# The report of bench/run, sourced by it: medians over the repetitions, one
# markdown table per scenario with the targets of the AF_XDP backend
# marked met or missed, a plot, and the --smoke verdict.  Reads $RESULTS:
#
#   scenario row rep pps gbps loss_pct cpu_ns p50_us p99_us p999_us
#	lat_loss_pct hwm_kib ts_errors	("-" where a figure does not exist)
#   scenario backend 0 n/a	(the backend has no part in the scenario)
#
# A row is a backend, or in scenario ts BACKEND-raw and BACKEND-mpegts:
# the stream added with health checks off and on; ts_errors are the
# errors the checks found in the measured window.  And $SMOKE_LOG:
#
#   backend row scenario delivered damaged checked health detail

BACKEND_TITLE_ceiling="XDP_DROP ceiling (ingress)"
BACKEND_TITLE_xdp="xdprelay AF_XDP"
BACKEND_TITLE_xdpbusy="xdprelay AF_XDP, --busy-poll"
BACKEND_TITLE_direct="xdprelay direct path (in the kernel)"
BACKEND_TITLE_cpumap="xdprelay direct path, --direct-cpus (cpumap)"
BACKEND_TITLE_socket="xdprelay socket backend"
BACKEND_TITLE_socat="socat"
BACKEND_TITLE_nginx="nginx stream proxy"
BACKEND_TITLE_nft="nftables DNAT (kernel forwarding)"
BACKEND_TITLE_testpmd="DPDK testpmd, AF_XDP PMD, io"

# backend_title ROW
backend_title()
{
	local be=${1%-*} v

	v=BACKEND_TITLE_$be
	case ${1#"$be"} in
	-raw) echo "${!v:-$be}, checks off (--kind raw)" ;;
	-mpegts) echo "${!v:-$be}, checks on (--kind mpegts)" ;;
	*) echo "${!v:-$1}" ;;
	esac
}

# medians: one line per scenario and row, the median of each column over
# the repetitions that produced it ("-" when none did), but the sum of the
# health checks' errors: one bad repetition is one too many.
medians()
{
	awk '
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		if (n == 0)
			return "-"
		if (n % 2)
			return a[(n + 1) / 2]
		return (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		k = $1 " " $2
		if (!(k in seen)) {
			seen[k] = 1
			order[++nk] = k
		}
		if ($4 == "n/a") {
			na[k] = 1
			next
		}
		for (c = 4; c <= 12; c++)
			if ($c != "-")
				v[k, c] = v[k, c] " " $c
		if ($13 != "-" && $13 != "") {
			errs[k] += $13
			has_errs[k] = 1
		}
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			line = k
			for (c = 4; c <= 12; c++)
				line = line " " (na[k] ? "n/a" : median(v[k, c]))
			line = line " " (has_errs[k] ? errs[k] : "-")
			print line
		}
	}' "$RESULTS"
}

# scenario_table SCENARIO: the markdown of one scenario from $MED.
scenario_table()
{
	awk -v sc="$1" -v title="$(scenario_title "$1")" \
		-v names="$(for b in $BACKENDS_ALL $(awk '{ print $2 }' "$MED" |
			sort -u); do
			printf '%s=%s;' "$b" "$(backend_title "$b")"; done)" '
	function num(x) { return x != "" && x != "-" && x != "n/a" }
	function fmt(x, f) { return num(x) ? sprintf(f, x) : x }
	function scaled(x, d, f) { return num(x) ? sprintf(f, x / d) : x }
	function ratio(a, b) {
		return num(a) && num(b) && b > 0 ? sprintf("%.2f", a / b) : "-"
	}
	# target NAME OK_EXPR_RESULT DETAIL
	function target(name, ok, detail) {
		ntargets++
		t[ntargets] = sprintf("| %s | %s | %s |", name,
			ok == "" ? "n/a" : (ok ? "met" : "**missed**"), detail)
	}
	# Off against on, per backend, from the rows of this run.
	function checks_table(   i, b, be, off, on, seen, n) {
		for (i = 1; i <= nb; i++) {
			b = order[i]
			if (b !~ /-(raw|mpegts)$/)
				continue
			be = b
			sub(/-(raw|mpegts)$/, "", be)
			if (!(be in seen)) {
				seen[be] = 1
				bes[++n] = be
			}
		}
		if (!n)
			return
		printf "\n#### health checks: on against off\n\n"
		print "| backend | Mpps off | Mpps on | on/off | " \
		      "CPU ns/pkt off | CPU ns/pkt on | on/off | " \
		      "TS errors (on) |"
		print "|---|--:|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= n; i++) {
			off = bes[i] "-raw"
			on = bes[i] "-mpegts"
			printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				bname[bes[i]],
				scaled(pps[off], 1e6, "%.3f"),
				scaled(pps[on], 1e6, "%.3f"),
				ratio(pps[on], pps[off]),
				fmt(cpu[off], "%d"), fmt(cpu[on], "%d"),
				ratio(cpu[on], cpu[off]),
				errs[on] == "" ? "-" : errs[on]
		}
	}
	BEGIN {
		n = split(names, nv, ";")
		for (i = 1; i <= n; i++) {
			split(nv[i], kv, "=")
			bname[kv[1]] = kv[2]
		}
	}
	$1 == sc {
		b = $2
		order[++nb] = b
		pps[b] = $3; gbps[b] = $4; loss[b] = $5; cpu[b] = $6
		p50[b] = $7; p99[b] = $8; p999[b] = $9; lloss[b] = $10
		hwm[b] = $11; errs[b] = $12
	}
	END {
		printf "### %s\n\n", title
		print "| backend | Mpps | Gbit/s | loss | CPU ns/pkt | " \
		      "p50 us | p99 us | p99.9 us | loss at 20 kpps | " \
		      "VmHWM MiB | x ceiling | x socket |"
		print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
		for (i = 1; i <= nb; i++) {
			b = order[i]
			if (pps[b] == "n/a") {
				why = "cannot fan out"
				if (sc == "ts")
					why = "no health checks on its path"
				printf "| %s | %s: not measured |||||||||||\n",
				       bname[b], why
				continue
			}
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | " \
			       "%s | %s | %s | %s |\n", bname[b],
				scaled(pps[b], 1e6, "%.3f"), fmt(gbps[b], "%.2f"),
				fmt(loss[b], "%.2f%%"), fmt(cpu[b], "%d"),
				fmt(p50[b], "%.1f"), fmt(p99[b], "%.1f"),
				fmt(p999[b], "%.1f"), fmt(lloss[b], "%.2f%%"),
				scaled(hwm[b], 1024, "%.1f"),
				ratio(pps[b], pps["ceiling"]),
				ratio(pps[b], pps["socket"])
		}
		if (sc == "ts")
			checks_table()

		x = "xdp"
		if (!num(pps[x]))
			exit
		if (sc == "fanout") {
			if (num(cpu[x]) && num(cpu["socket"]))
				target("CPU per delivered packet <= 33% of " \
				       "the socket backend", \
				       cpu[x] <= 0.33 * cpu["socket"],
				       sprintf("%.0f%%", 100 * cpu[x] / cpu["socket"]))
		} else {
			if (num(pps["socket"]))
				target("packet rate >= 2x socket backend",
				       pps[x] >= 2 * pps["socket"],
				       ratio(pps[x], pps["socket"]) "x")
			if (num(pps["testpmd"]))
				target("packet rate >= testpmd",
				       pps[x] >= pps["testpmd"],
				       ratio(pps[x], pps["testpmd"]) "x")
			if (num(pps["ceiling"]))
				target("packet rate >= 70% of XDP_DROP ceiling",
				       pps[x] >= 0.7 * pps["ceiling"],
				       sprintf("%.0f%%",
					       100 * pps[x] / pps["ceiling"]))
			if (num(cpu[x]) && num(cpu["socket"]))
				target("CPU per packet <= 50% of socket backend",
				       cpu[x] <= 0.5 * cpu["socket"],
				       sprintf("%.0f%%", 100 * cpu[x] / cpu["socket"]))
			for (k = 0; k < 2; k++) {
				y = k ? "xdpbusy" : "xdp"
				how = k ? " (busy polling)" : ""
				if (num(p50[y]) && num(p50["nft"]))
					target("latency p50 <= nftables DNAT" how,
					       p50[y] <= p50["nft"],
					       sprintf("%.1f vs %.1f us", p50[y],
						       p50["nft"]))
				if (num(p99[y]) && num(p99["nft"]))
					target("latency p99 <= 2x nftables DNAT" how,
					       p99[y] <= 2 * p99["nft"],
					       sprintf("%.1f vs %.1f us", p99[y],
						       p99["nft"]))
			}
		}
		if (num(lloss[x]))
			target("no loss below saturation (20 kpps)",
			       lloss[x] == 0, sprintf("%.3f%%", lloss[x]))
		printf "\nTargets of the AF_XDP backend, in this run:\n\n"
		print "| target | result | measured |"
		print "|---|---|---|"
		for (i = 1; i <= ntargets; i++)
			print t[i]
	}' "$MED"
}

# figures_note SCENARIO
figures_note()
{
	cat <<EOF
Figures: medians of $REPS repetitions.  Mpps and Gbit/s: packets and
frame bytes (Ethernet header on, FCS off) that the sink's XDP program
counted during $DURATION s of trafgen at full rate (one stream, 1:1 or 1:8,
all subscribers together).  loss: 1 - delivered / (offered x subscribers),
offered being what trafgen put on its veth (sent + dropped at the peer);
a relay that slows the generator's own core shows less loss and a lower
rate.  CPU ns/pkt: all busy time (user, nice, system, irq, softirq from
/proc/stat) of the relay's core (cpu $RLY_CPU) plus the irq and softirq time of
the generator's core (cpu $GEN_CPU), where veth runs the relay's receive side,
during the measured window, divided by the packets delivered; it leaves
out the generator's process time, and includes the sink's XDP program (the
same few tens of ns for every backend).  Latency: one-way, from tsgen's
CLOCK_MONOTONIC stamp just before send() to bpf_ktime_get_ns() in the
sink's XDP program, $LAT_SECS s at 20 kpps, with its loss.  VmHWM: peak
resident memory of the relay's processes (nginx: master and worker).
Ratios: packet rate against the ceiling's and the socket backend's.
Absolute numbers on a shared 2-core machine drift; ratios come from one run.
EOF
	[ "$1" = ts ] || return 0
	cat <<EOF

Scenario ts: each datagram carries 7 MPEG-TS packets of 7 PIDs, whose
continuity counters step by one a datagram (bench/bench.h), and trafgen
sums its UDP checksum anew for each (the counters change it), which costs
the generator's core: its rates are not those of the 1316-byte scenario.
Each xdprelay backend runs twice in every repetition, the stream added
with --kind raw (health checks off), then with --kind mpegts (checks on
each of the 7 packets); the on/off ratios compare the two.  TS errors:
continuity, sync, transport-error and unchecked-PID counts of the relay's
checks (stats --json) in the measured windows of all repetitions, which
must be 0.  No latency run: tsgen's datagrams are not MPEG-TS, so the
latency columns are "-".
EOF
}

report_header()
{
	echo "## xdprelay bench, $(date -u -d "@$RUN_EPOCH" '+%F %H:%M UTC')"
	echo
	echo "- kernel: $(uname -r)"
	echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' \
		/proc/cpuinfo), $(nproc --all) cores"
	echo "- generator: trafgen $(trafgen -v 2>/dev/null |
		awk 'NR == 1 { print $2 }') on cpu $GEN_CPU; relay on cpu $RLY_CPU"
	echo "- $DURATION s per rate run, $REPS repetitions," \
		"latency $LAT_SECS s at 20 kpps${BUSY_POLL:+, AF_XDP relay with $BUSY_POLL}"
	[ -z "${PROG_NS:-}" ] ||
		echo "- xdprelay's XDP program alone, per 64 B packet (BPF_PROG_TEST_RUN, median of 5 x 2 million): $PROG_NS"
	echo
}

# plot FILE: packet rate and CPU per packet by backend and payload size.
plot()
{
	local dat=$TMP/plot.dat

	awk '
	$1 == "64" || $1 == "1316" {
		if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
		pps[$2, $1] = $3 == "-" || $3 == "n/a" ? 0 : $3 / 1e6
		cpu[$2, $1] = $6 == "-" || $6 == "n/a" ? 0 : $6
	}
	END {
		for (i = 1; i <= n; i++)
			printf "%s %s %s %s %s\n", order[i], pps[order[i], "64"] + 0,
				pps[order[i], "1316"] + 0, cpu[order[i], "64"] + 0,
				cpu[order[i], "1316"] + 0
	}' "$MED" > "$dat"
	[ -s "$dat" ] || return 0
	gnuplot <<-EOF
	set terminal pngcairo size 1200,500 font "sans,10"
	set output "$1"
	set multiplot layout 1,2 title "xdprelay bench $RUN_DATE, $(uname -r)"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set boxwidth 0.9
	set grid ytics
	set xtics rotate by -30
	set key top left
	set offset 0, 0, graph 0.12, 0
	set title "delivered packet rate"
	set ylabel "Mpps"
	set yrange [0:*]
	plot "$dat" using 2:xtic(1) title "64 B", "" using 3 title "1316 B"
	set title "CPU time per relayed packet"
	set ylabel "ns"
	plot "$dat" using 4:xtic(1) title "64 B", "" using 5 title "1316 B"
	unset multiplot
	EOF
}

# smoke_verdict: one line per backend; fails unless each delivered packets
# in every scenario it ran, none of them was damaged, and the relay's
# health checks saw what its stream was added for.  Then one line per row
# of scenario ts, which fails also when the sink checked none of its
# MPEG-TS datagrams.
smoke_verdict()
{
	awk -v backends="$BACKENDS" '
	{
		k = $1
		sc = $3 ($2 != $1 ? ":" substr($2, length($1) + 2) : "")
		runs[k]++
		if ($4 + 0 <= 0)
			empty[k] = empty[k] " " sc
		if ($7 == "bad")
			sick[k] = sick[k] " " sc
		got[k] += $4; bad[k] += $5; chk[k] += $6
		if ($3 == "ts")
			ts[++nts] = $0
	}
	END {
		n = split(backends, b, " ")
		for (i = 1; i <= n; i++) {
			k = b[i]
			ok = runs[k] > 0 && empty[k] == "" && bad[k] == 0 &&
			     sick[k] == ""
			printf "smoke: %s %s delivered=%d checked=%d " \
			       "damaged=%d%s%s\n", ok ? "ok" : "FAIL", k,
				got[k], chk[k], bad[k],
				empty[k] == "" ? "" : " none delivered in:" empty[k],
				sick[k] == "" ? "" : " unclean health in:" sick[k]
			if (!ok)
				fail = 1
		}
		for (i = 1; i <= nts; i++) {
			split(ts[i], f, " ")
			ok = f[4] > 0 && f[5] == 0 && f[6] > 0 && f[7] != "bad"
			printf "smoke: %s ts:%s delivered=%d checked=%d " \
			       "damaged=%d health=%s%s\n", ok ? "ok" : "FAIL",
				f[2], f[4], f[6], f[5], f[7],
				f[8] != "-" ? " " f[8] : ""
			if (!ok)
				fail = 1
		}
		exit fail
	}' "$SMOKE_LOG"
}

report_all()
{
	local sc out=

	RUN_EPOCH=$(date +%s)
	RUN_DATE=$(date -u -d "@$RUN_EPOCH" +%Y-%m-%d-%H%M)
	MED=$TMP/medians
	medians > "$MED"
	if [ -n "$OUT" ]; then
		mkdir -p "$OUT" || return 1
	fi
	for sc in $SCENARIOS; do
		{
			report_header
			scenario_table "$sc"
			echo
			figures_note "$sc"
		} > "$TMP/report-$sc.md"
		cat "$TMP/report-$sc.md"
		echo
		if [ -n "$OUT" ]; then
			cp "$TMP/report-$sc.md" "$OUT/$RUN_DATE-$sc.md"
			out="$out $OUT/$RUN_DATE-$sc.md"
		fi
	done
	if [ -n "$OUT" ] && plot "$OUT/$RUN_DATE.png"; then
		[ -e "$OUT/$RUN_DATE.png" ] && out="$out $OUT/$RUN_DATE.png"
	fi
	[ -n "$out" ] && log "written:$out"
	if [ "$SMOKE" = 1 ]; then
		smoke_verdict
		return
	fi
	return 0
}
