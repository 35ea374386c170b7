# Reads `go test -bench` output whose benchmarks have a "baseline=..." and a
# "cop=..." sub-benchmark, and prints each COP figure beside its baseline as
# a ratio (how many times the baseline's time per operation).
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	# The last part names the leg; the parts before it, the group.
	k = split(name, parts, "/")
	leg = parts[k]; group = parts[1]
	for (j = 2; j < k; j++) group = group "/" parts[j]
	metric = $3; unit = $4
	for (i = 5; i < NF; i++) if ($(i+1) == "ns/row") { metric = $i; unit = "ns/row" }
	if (leg ~ /^baseline=/) { base[group] = metric; baseName[group] = substr(leg, 10); baseUnit[group] = unit }
	if (leg ~ /^cop=/) { cop[group] = metric; copName[group] = substr(leg, 5); order[++n] = group }
}
END {
	if (n == 0) exit
	printf "\n%-30s %-22s %14s  %-24s %14s  %8s\n", "benchmark", "cop", "time", "baseline", "time", "ratio"
	for (i = 1; i <= n; i++) {
		g = order[i]
		if (!(g in base)) { printf "%-30s %-22s %14s  (no baseline)\n", g, copName[g], cop[g]; continue }
		printf "%-30s %-22s %11.0f %s  %-24s %11.0f %s  %7.2fx\n", g, copName[g], cop[g], baseUnit[g], baseName[g], base[g], baseUnit[g], cop[g] / base[g]
	}
}
