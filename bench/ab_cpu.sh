#!/usr/bin/env bash
# CPU before/after on this machine: bench/ab_cpu.ts run alternately in an earlier commit's worktree and in this
# one, ROUNDS times each (default 3), one JSON line per run in $OUT (default /tmp/ab-cpu), then medians per row.
#   git worktree add /tmp/before <commit> && (cd /tmp/before && npm install && npm run build)
#   bash bench/ab_cpu.sh /tmp/before
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/ab-cpu}; mkdir -p "$OUT"; : > "$OUT/before.jsonl"; : > "$OUT/after.jsonl"
cp "$after/bench/ab_cpu.ts" "$before/bench/ab_cpu.ts"
for i in $(seq "${ROUNDS:-3}"); do
  for side in before after; do
    tree=${!side}
    (cd "$tree" && node --import tsx bench/ab_cpu.ts 2>/dev/null | tail -1) >> "$OUT/$side.jsonl"
    echo "round $i $side done" >&2
  done
done
node -e '
const fs = require("fs"), [b, a] = ["before", "after"].map((s) => fs.readFileSync(process.argv[1] + "/" + s + ".jsonl", "utf8").trim().split("\n").map(JSON.parse));
const med = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[s.length >> 1]; };
console.log("| row | before median (range) | after median (range) | after/before |\n| --- | ---: | ---: | ---: |");
for (const k of Object.keys(a[0])) {
  const xb = b.map((r) => r[k]), xa = a.map((r) => r[k]), f = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  console.log(`| ${k} | ${f(med(xb))} (${f(Math.min(...xb))}-${f(Math.max(...xb))}) | ${f(med(xa))} (${f(Math.min(...xa))}-${f(Math.max(...xa))}) | ${(med(xa) / med(xb)).toFixed(2)} |`);
}' "$OUT"
