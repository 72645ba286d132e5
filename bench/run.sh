#!/usr/bin/env bash
# bench/run.sh: every engine beside nginx, measured so that the comparison holds on a busy, shared machine.
#
#   bench/run.sh                               the full run (about 10-15 minutes on 2 cores)
#   BENCH_ENGINES="nio virtual" bench/run.sh   only some engines (nginx is always measured: it is the yardstick)
#   BENCH_ROUNDS=1 BENCH_DURATION=2 bench/run.sh   a quick look (about 3 minutes)
#   BENCH_REPORT_ONLY=1 bench/run.sh           write the report again from bench/last-run, without measuring
#
# The method: every server is started once and warmed under load until its rate is stable (a JIT reaches
# its steady state only after seconds of load); then interleaved rounds, nginx then each engine, repeated,
# so that whatever else the machine is doing falls on every server alike. Per round and server it records
# requests/s (wrk -t1, keep-alive GET /), the server's CPU per answered request (user + system of its whole
# process tree, from /proc/<pid>/stat around the measured window: the figure that holds on a shared
# machine), wrk's p99, and wrk's own CPU (near one core, the client sets the pace). Each ratio to nginx is
# taken within one round, then the median of the rounds is reported with min-max. After the closed loop:
# the open loop at half nginx's maximum (./lab bench --rate, p99 from the intended send time), system calls
# per request (strace -f -c, futex aside), and c10k.
#
# Settings (environment):
#   BENCH_ENGINES       engines to measure (all that ./lab engines lists)
#   BENCH_SERVER_ARGS_<engine>  options for that engine's ./lab serve: "--loops 1" for nio, netty and vertx
#                       (one event loop each, as nginx's one worker), none for the others (their defaults)
#   BENCH_ROUNDS        interleaved rounds (3)             BENCH_DURATION   seconds per measured run (5)
#   BENCH_CONNECTIONS   connection counts ("100 1000")     BENCH_THREADS    wrk threads (1)
#   BENCH_WARMUP_MAX    seconds of warm-up at most per server (30); it stops earlier once two 2-second
#                       windows in a row agree within 5 %, after at least 6 s
#   BENCH_STRACE        1: count system calls per request (1)   BENCH_STRACE_RATE  requests/s meanwhile (5000)
#   BENCH_C10K          connections of the c10k step, 0 to skip it (10000)
#   BENCH_JMH           1: run bench/jmh.sh's benchmarks with -prof gc on this tree and on BENCH_JMH_BASE (0)
#   BENCH_JMH_BASE      the commit to compare with (e64073c~1, the commit before the lean response path)
#   BENCH_JMH_ARGS      JMH's settings ("-f 1 -wi 3 -i 5 -w 1s -r 1s": about 10 s per benchmark and tree)
#   BENCH_NGINX_PORT    first port tried for nginx (24080)
#   BENCH_OUT           the report (BENCHMARKS.md at the root)
#   BENCH_LAST          where the raw results are kept (bench/last-run)
#   BENCH_REPORT_ONLY   1: write the report again from BENCH_LAST, without measuring (0)
#
# Setup: it installs wrk, nginx-light, jq and strace when they are missing (apt-get, as root or with sudo).
# nginx runs on loopback with bench/nginx.conf (1 worker, no access log). Everything it starts it stops, by PID.
set -euo pipefail
export LC_ALL=C

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
LAB="$ROOT/lab"
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-"100 1000"}
THREADS=${BENCH_THREADS:-1}
WARMUP_MAX=${BENCH_WARMUP_MAX:-30}
RUN_STRACE=${BENCH_STRACE:-1}
STRACE_RATE=${BENCH_STRACE_RATE:-5000}
C10K=${BENCH_C10K:-10000}
RUN_JMH=${BENCH_JMH:-0}
JMH_BASE=${BENCH_JMH_BASE:-e64073c~1}
JMH_ARGS=${BENCH_JMH_ARGS:-"-f 1 -wi 3 -i 5 -w 1s -r 1s"}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
LAST=${BENCH_LAST:-$ROOT/bench/last-run}
REPORT_ONLY=${BENCH_REPORT_ONLY:-0}
# The warm-up: windows of WARMUP_WINDOW seconds until two in a row agree within WARMUP_AGREE %, after at
# least WARMUP_LEAST seconds.
WARMUP_WINDOW=2 WARMUP_AGREE=5 WARMUP_LEAST=6
# Like for like: nginx runs one worker, so every event-loop engine runs one loop (netty and vertx default
# to one per core). The thread engines keep their defaults. BENCH_SERVER_ARGS_<engine> overrides.
declare -A SERVER_ARGS_DEFAULT=([nio]="--loops 1" [netty]="--loops 1" [vertx]="--loops 1")

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

# ---- numbers ---------------------------------------------------------------------------------------------
# "median min max" of the numbers on stdin, or "nan nan nan".
stats() { sort -g | awk '{a[NR] = $1} END { if (NR == 0) { print "nan nan nan"; exit }
  m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'; }
int() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else { s = sprintf("%.0f", v); r = "";
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }; print s r } }'; }
num() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf "%.*f", d, v }'; }
# "97 %" from "median min max" ("n/a" for runs recorded before the column existed).
pct() { local m; read -r m _ <<<"$1"; awk -v v="$m" 'BEGIN { if (v == "" || v == "nan") print "n/a"; else printf "%d %%", v }'; }
us() { awk -v v="$1" 'BEGIN { if (v == "" || v == "nan") print "n/a"; else if (v < 1000) printf "%d us", v;
  else if (v < 1000000) printf "%.2f ms", v / 1000; else printf "%.2f s", v / 1000000 }'; }
# wrk prints durations as 812.00us, 1.23ms or 2.01s: to microseconds.
wrk_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
  else if (v ~ /m$/) print n * 60000000; else if (v ~ /s$/) print n * 1000000; else print "nan" }'; }

# ---- the report: written from $RUN/rounds.tsv and friends, so BENCH_REPORT_ONLY can write it again --------
# rounds.tsv: round connections server requests_per_s cpu_us_per_request p99_us errors
# open.tsv:   round server answered_per_s p50_us p99_us errors
# sys.tsv:    server answered total_per_request top_calls
# c10k.tsv:   server connected connect_s ok total_s failures idle_kib peak_kib per_connection_kib
# Figures for one server at one connection count: "median min max" of a column of rounds.tsv.
col() { awk -v c="$1" -v s="$2" -v k="$3" '$2 == c && $3 == s && $k != "nan" {print $k}' "$RUN/rounds.tsv" | stats; }
# The same, as a ratio to nginx's figure of the same round.
# Each round's ratio of server s to nginx in column k at c connections, one per line.
ratios() { awk -v c="$1" -v s="$2" -v k="$3" '$2 == c && $3 == "nginx" {n[$1] = $k} $2 == c && $3 == s {v[$1] = $k}
  END { for (r in v) if ((r in n) && n[r] != "nan" && v[r] != "nan" && n[r] > 0) print v[r] / n[r] }' "$RUN/rounds.tsv"; }
rel() { ratios "$@" | stats; }
range() { read -r m lo hi <<<"$1"; [ "$m" = nan ] && { echo "n/a"; return; }; echo "$($2 "$m" "${3:-2}") ($($2 "$lo" "${3:-2}")-$($2 "$hi" "${3:-2}"))"; }
med() { read -r m _ <<<"$1"; echo "$m"; }
verdict() { awk -v v="$1" -v g="$2" -v op="$3" 'BEGIN { if (v == "nan" || v == "") print "not measured";
  else if ((op == ">=" && v + 0 >= g + 0) || (op == "<=" && v + 0 <= g + 0)) print "met"; else print "**not met**" }'; }

# How the engines ran, from SERVER_ARGS: "netty, nio, vertx ran with one event loop each (`--loops 1`), as
# nginx's one worker; blocking, virtual ran with their defaults".
servers() {
  local e a ones="" defaults="" other="" out=""
  for e in $ENGINES; do
    a=${SERVER_ARGS[$e]:-}
    if [ "$a" = "--loops 1" ]; then ones="$ones, $e"
    elif [ -z "$a" ]; then defaults="$defaults, $e"
    else other="$other; $e ran with \`$a\`"; fi
  done
  case "$ones" in
    "") ;;
    *,*,*) out="${ones#, } ran with one event loop each (\`--loops 1\`), as nginx's one worker" ;;
    *) out="${ones#, } ran with one event loop (\`--loops 1\`), as nginx's one worker" ;;
  esac
  [ -z "$other" ] || out="$out$other"
  case "$defaults" in
    "") ;;
    *,*,*) out="$out; ${defaults#, } ran with their defaults" ;;
    *) out="$out; ${defaults#, } ran with its defaults" ;;
  esac
  echo "${out#; }"
}

# What each benchmark of engine-api's RequestParserBenchmark measures (a new one shows its name alone).
jmh_what() {
  case "${1##*.}" in
    typical) echo "parse alone: curl's GET, 3 fields" ;;
    twentyHeaders) echo "parse alone: a browser's GET, 20 fields" ;;
    helloExchange) echo "parse + encode of GET / into the connection's reused buffer (nio)" ;;
    helloExchangeEncoded) echo "parse + encode of GET / into one new exact array (ResponseWriter.encode, now only for refusals)" ;;
  esac
}
# Why the default base: issue 14 measured the parser's 416 B/op there, before e64073c made the response path lean.
jmh_base_why() { [ "$JMH_BASE" != "e64073c~1" ] || echo ", the commit before the lean response path (e64073c)"; }
# One figure of jmh.tsv (tree benchmark ops_per_s bytes_per_op): tree benchmark column, or nan.
jmh_fig() { awk -F'\t' -v t="$1" -v b="$2" -v k="$3" '$1 == t && $2 == b {v = $k} END {print (v == "" ? "nan" : v)}' "$RUN/jmh.tsv"; }

report() {
  local c s
  echo "# Benchmarks"
  echo
  echo "Written by \`bench/run.sh\` from one run on $STARTED; every figure below comes from that run. Run it again to"
  echo "replace them; \`BENCH_REPORT_ONLY=1 bench/run.sh\` writes this page again from the raw results in \`bench/last-run\`."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| machine | $CORES cores ($CPU), $MEM, $KERNEL |"
  echo "| JDK | $JAVA_VERSION |"
  echo "| servers | nginx ran 1 worker; $(servers) |"
  echo "| tools | wrk $WRK_VERSION (-t$THREADS, keep-alive), nginx $NGINX_VERSION (1 worker, access_log off, \`return 200\`) |"
  echo "| command | \`bench/run.sh\` (BENCH_ROUNDS=$ROUNDS BENCH_DURATION=$DURATION BENCH_CONNECTIONS=\"$CONNECTIONS\" BENCH_ENGINES=\"$ENGINES\"${JMH_NOW:+ BENCH_JMH=1}) |"
  echo "| load average | $LOAD_BEFORE before, $LOAD_AFTER after (other work on the machine shares its cores) |"
  echo "| duration | $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s |"
  echo
  echo "## Method"
  echo
  echo "Like for like: nginx ran 1 worker; $(servers)."
  echo "Every server was started once and warmed under load (wrk, c=100) until two $WARMUP_WINDOW-second windows in a row agreed"
  echo "within $WARMUP_AGREE % (at least $WARMUP_LEAST s, at most $WARMUP_MAX s; the warm-up each took is in the last column below). Then"
  echo "interleaved rounds ($ROUNDS): in each, nginx and then every engine for $DURATION s per connection count, so that other"
  echo "work on the machine falls on every server alike. Each figure is the median of the rounds with the lowest and"
  echo "highest in parentheses; each ratio to nginx is taken within one round, then the median of those ratios is shown."
  echo "Server CPU per request is the user + system time of the server's whole process tree (\`/proc/<pid>/stat\`, all"
  echo "threads and worker processes) over the measured window, divided by the requests wrk counted: on a shared"
  echo "machine it moves far less than requests/s. Client and server share the same cores: absolute rates are below"
  echo "what a server reaches with its own cores, so compare the ratios. wrk's CPU is its user + system time over the"
  echo "run, as a share of one core (median of the rounds): a single-threaded wrk near 100 % sets the pace itself, and"
  echo "then requests/s measures the client as much as the server, while CPU per request is still the server's."
  for c in $CONNECTIONS; do
    echo
    echo "## Closed loop, $(int "$c") connections (wrk)"
    echo
    echo "| server | requests/s | vs nginx | server CPU per request | vs nginx | p99 (wrk) | vs nginx | errors per run | wrk's CPU | warm-up |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for s in nginx $ENGINES; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s$(starves "$s")" \
        "$(range "$(col "$c" "$s" 4)" int)" "$(range "$(rel "$c" "$s" 4)" num)" \
        "$(range "$(col "$c" "$s" 5)" num 1) us" "$(range "$(rel "$c" "$s" 5)" num)" \
        "$(us "$(med "$(col "$c" "$s" 6)")")" "$(num "$(med "$(rel "$c" "$s" 6)")")" \
        "$(int "$(med "$(col "$c" "$s" 7)")")" "$(pct "$(col "$c" "$s" 8)")" "$(awk -v s="$s" '$1 == s {print $2 " s"}' "$RUN/warmup.tsv")"
    done
  done
  echo
  echo "An engine marked (starves) serves only as many keep-alive connections as it has threads or processes; the"
  echo "others wait unanswered for the whole run, so its rate is that of the few it serves (wrk counts no error for"
  echo "a connection that never got an answer). It is left out of the goals."
  echo
  echo "## Open loop at $(int "$RATE") requests/s (half of nginx's median maximum), 100 connections"
  echo
  echo "\`./lab bench --rate $RATE -c 100\`, interleaved rounds ($ROUNDS) of $DURATION s: latency counts from each request's"
  echo "intended send time, so a server that falls behind is charged for every request it kept waiting."
  echo
  echo "| server | answered/s | p50 | p99 | p99 vs nginx | errors per run |"
  echo "|---|---:|---:|---:|---:|---:|"
  for s in nginx $ENGINES; do
    local p99 n99
    p99=$(awk -v s="$s" '$2 == s {print $5}' "$RUN/open.tsv" | stats)
    n99=$(awk -v s="$s" '$2 == "nginx" {n[$1] = $5} $2 == s {v[$1] = $5} END { for (r in v) if ((r in n) && n[r] > 0) print v[r] / n[r] }' "$RUN/open.tsv" | stats)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$s$(starves "$s")" \
      "$(int "$(med "$(awk -v s="$s" '$2 == s {print $3}' "$RUN/open.tsv" | stats)")")" \
      "$(us "$(med "$(awk -v s="$s" '$2 == s {print $4}' "$RUN/open.tsv" | stats)")")" \
      "$(range "$p99" us)" "$(range "$n99" num)" "$(int "$(med "$(awk -v s="$s" '$2 == s {print $6}' "$RUN/open.tsv" | stats)")")"
  done
  if [ -s "$RUN/sys.tsv" ]; then
    echo
    echo "## System calls per request"
    echo
    echo "\`strace -f -c\` attached to the server's process tree while \`./lab bench --rate $STRACE_RATE -c 100\` ran for"
    echo "$DURATION s (futex and restart_syscall, the JVM's own parking, left out). Under strace every call is slower, so"
    echo "these runs measure what a request costs in calls, not speed."
    echo
    echo "| server | requests | calls per request | the main ones |"
    echo "|---|---:|---:|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$RUN/sys.tsv"
  fi
  if [ -s "$RUN/c10k.tsv" ]; then
    echo
    echo "## C10K: $(int "$C10K") connections, one GET /sleep/1000 on each"
    echo
    echo "\`./lab c10k --url ... --server-pid PID\` on the same servers, for those that answer every connection: all"
    echo "connections open first, then one request on each at once. Memory is the RSS of the server's process tree at the"
    echo "peak minus idle, per connection. nginx has no sleep: bench/nginx.conf answers /sleep/1000 at once."
    echo
    echo "| server | connected | connect time | correct answers | last answer after | failures | RSS per connection |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %s s | %s | %s s | %s | %s KiB |\n", $1, $2, $3, $4, $5, $6, $9 }' "$RUN/c10k.tsv"
  fi
  if [ -s "$RUN/jmh.tsv" ]; then
    local b
    echo
    echo "## The shared codec (JMH)"
    echo
    echo "\`bench/jmh.sh $JMH_ARGS -prof gc\`: every JMH benchmark in engine-api's test sources, on this tree"
    echo "($JMH_NOW) and on the base $JMH_BASE = $JMH_BASE_COMMIT (\"$JMH_BASE_SUBJECT\")$(jmh_base_why), built in a"
    echo "temporary git worktree, one after the other. Bytes per operation (\`gc.alloc.rate.norm\`) are what one"
    echo "request allocates and do not move with the machine's load; operations per second do. n/a: the benchmark"
    echo "did not exist at the base${JMH_BASE_STATUS:+ ($JMH_BASE_STATUS)}."
    echo
    echo "| benchmark | what | ops/s, base | ops/s, now | B/op, base | B/op, now |"
    echo "|---|---|---:|---:|---:|---:|"
    for b in $(awk -F'\t' '!seen[$2]++ {print $2}' <(awk -F'\t' '$1 == "now"' "$RUN/jmh.tsv") <(awk -F'\t' '$1 == "base"' "$RUN/jmh.tsv")); do
      printf '| %s | %s | %s | %s | %s | %s |\n' "$b" "$(jmh_what "$b")" "$(int "$(jmh_fig base "$b" 3)")" \
        "$(int "$(jmh_fig now "$b" 3)")" "$(int "$(jmh_fig base "$b" 4)")" "$(int "$(jmh_fig now "$b" 4)")"
    done
  fi
  echo
  echo "## Goals (c=100, medians of the rounds)"
  echo
  echo "A goal on a ratio to nginx is judged on the median of the rounds; the lowest and highest ratio and the"
  echo "rounds that met it on their own say how firmly."
  echo
  echo "| issue | goal | measured | |"
  echo "|---|---|---:|---|"
  goal() { echo "| $1 | $2 | $(num "$3") | $(verdict "$3" "$4" "$5") |"; }
  ratio_goal() {  # issue text server column goal op
    local met m lo hi
    met=$(ratios 100 "$3" "$4" | awk -v g="$5" -v op="$6" '{ t++; if ((op == ">=" && $1 >= g) || (op == "<=" && $1 <= g)) m++ }
      END { print m + 0 " of " t + 0 }')
    read -r m lo hi <<<"$(rel 100 "$3" "$4")"
    # The median with three decimals: at two, 0.998 would read 1.00 beside "not met".
    echo "| $1 | $2 | $(num "$m" 3) ($(num "$lo")-$(num "$hi")) | $(verdict "$m" "$5" "$6") (in $met rounds) |"
  }
  ratio_goal 14 "nio >= 1.1 x nginx requests/s" nio 4 1.1 ">="
  ratio_goal 14 "nio server CPU per request <= 0.9 x nginx" nio 5 0.9 "<="
  ratio_goal 14 "virtual >= 0.7 x nginx requests/s" virtual 4 0.7 ">="
  ratio_goal 14 "virtual server CPU per request <= 1.5 x nginx" virtual 5 1.5 "<="
  ratio_goal 14 "virtual p99 (wrk) <= 3 x nginx" virtual 6 3 "<="
  ratio_goal 10 "netty >= 1.0 x nginx requests/s" netty 4 1.0 ">="
  ratio_goal 10 "vertx >= 0.9 x nginx requests/s" vertx 4 0.9 ">="
  local sn sx g i x
  sn=$(awk -F'\t' '$1 == "nginx" {print $3}' "$RUN/sys.tsv" 2>/dev/null)
  for g in 14:nio:0.1 14:virtual:0.4 10:netty:0.1 10:vertx:0.1; do
    IFS=: read -r i s x <<<"$g"
    sx=$(awk -F'\t' -v s="$s" '$1 == s {print $3}' "$RUN/sys.tsv" 2>/dev/null)
    goal "$i" "$s system calls per request <= nginx's + $x" "$(awk -v a="$sx" -v b="$sn" 'BEGIN { if (a == "" || b == "") print "nan"; else print a - b }')" "$x" "<="
  done
  goal 14 "open loop: nio p99 <= 1.2 x nginx" "$(med "$(awk '$2 == "nginx" {n[$1] = $5} $2 == "nio" {v[$1] = $5} END { for (r in v) if ((r in n) && n[r] > 0) print v[r] / n[r] }' "$RUN/open.tsv" | stats)")" 1.2 "<="
  goal 14 "JMH: parse + encode of GET / (helloExchange) <= 100 B/op" "$( [ -s "$RUN/jmh.tsv" ] && jmh_fig now RequestParserBenchmark.helloExchange 4 || echo nan)" 100 "<="
  echo
  echo "(For the system-call goals the measured column is the engine's calls per request minus nginx's; issue 10's"
  echo "\"within 0.1 of nginx's\" is read as at most 0.1 more, as fewer calls than nginx cost nothing. The JMH goal is"
  echo "issue 14's aim, in bytes per request.)"
}

# An engine that left connections unanswered at c=100 in any round (its errors column counts them as timeouts).
starves() { [ "$1" != nginx ] && grep -qx "$1" "$RUN/starving" 2>/dev/null && echo " (starves)" || true; }

# What run.vars holds beyond the settings; a run written before they existed leaves them empty.
declare -A SERVER_ARGS=()
JMH_NOW="" JMH_BASE_COMMIT="" JMH_BASE_SUBJECT="" JMH_BASE_STATUS=""

if [ "$REPORT_ONLY" = 1 ]; then
  [ -f "$LAST/run.vars" ] || die "no results in $LAST: run bench/run.sh first"
  RUN=$LAST
  . "$RUN/run.vars"
  report >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  say "wrote $OUT from $LAST"
  exit 0
fi

# ---- setup: the tools ------------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v jq >/dev/null 2>&1 || need+=(jq)
[ "$RUN_STRACE" != 1 ] || command -v strace >/dev/null 2>&1 || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    die "please install ${need[*]} (apt-get install -y ${need[*]}) and run again"; fi
  say "installing ${need[*]}..."
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || die "could not install ${need[*]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
CLK_TCK=$(getconf CLK_TCK)

# Each connection is a file: raise the soft limit to the hard one before starting the servers.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FILES=$(ulimit -n)

# ---- everything started here is stopped by PID ------------------------------------------------------------
PIDS=()
BASE_TREE=""   # the JMH base's temporary git worktree, while it exists
RUN=$(mktemp -d "${TMPDIR:-/tmp}/serverlab-bench.XXXXXX")
cleanup() {
  local pid
  if [ -n "$BASE_TREE" ]; then git -C "$ROOT" worktree remove --force "$BASE_TREE" >/dev/null 2>&1 || true; fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
: >"$RUN/rounds.tsv"; : >"$RUN/open.tsv"; : >"$RUN/sys.tsv"; : >"$RUN/c10k.tsv"; : >"$RUN/warmup.tsv"; : >"$RUN/starving"

say "building serverlab..."
"$LAB" engines >"$RUN/engines" || die "the build failed; see ./lab engines"
ALL=$(awk '/^[^ ]/ {print $1}' "$RUN/engines" | tr '\n' ' ')
ENGINES=$(echo "${BENCH_ENGINES:-$ALL}" | xargs)
for e in $ENGINES; do grep -qw "^$e" "$RUN/engines" || die "no engine '$e'; available: $ALL"; done
LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$(date +%s)

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
declare -A URL SERVER_PID

# nginx on a port below the ephemeral range (32768-60999), where no client socket of this machine lands.
port=${BENCH_NGINX_PORT:-24080}
while port_open "$port"; do port=$((port + 1)); done
mkdir -p "$RUN/nginx"
sed -e "s/40480/$port/" -e "s/worker_connections [0-9]*/worker_connections $((FILES - 64))/" \
  "$ROOT/bench/nginx.conf" >"$RUN/nginx/nginx.conf"
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -g "pid $RUN/nginx/nginx.pid; daemon off;" >"$RUN/nginx/out.log" 2>&1 &
PIDS+=($!); SERVER_PID[nginx]=$!; URL[nginx]="http://127.0.0.1:$port/"
for _ in $(seq 1 40); do port_open "$port" && break; sleep 0.25; done
port_open "$port" || die "nginx did not start: $(cat "$RUN/nginx/out.log")"

for e in $ENGINES; do
  [[ $e =~ ^[A-Za-z0-9_]+$ ]] || die "engine name '$e' cannot name a BENCH_SERVER_ARGS_ variable"
  v=BENCH_SERVER_ARGS_$e
  SERVER_ARGS[$e]=${!v-${SERVER_ARGS_DEFAULT[$e]:-}}
done
for e in $ENGINES; do
  # shellcheck disable=SC2086 # the options are words
  "$LAB" serve --engine "$e" --port 0 ${SERVER_ARGS[$e]} >"$RUN/serve.$e.log" 2>&1 &
  PIDS+=($!); SERVER_PID[$e]=$!
done
for e in $ENGINES; do
  for _ in $(seq 1 240); do
    p=$(sed -n 's/.*serving on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$RUN/serve.$e.log" | head -n 1)
    [ -n "$p" ] && break
    kill -0 "${SERVER_PID[$e]}" 2>/dev/null || break
    sleep 0.25
  done
  [ -n "$p" ] || die "$e did not start: $(tail -n 3 "$RUN/serve.$e.log")"
  URL[$e]="http://127.0.0.1:$p/"
done
say "servers: nginx ${URL[nginx]}$(for e in $ENGINES; do printf ', %s %s' "$e" "${URL[$e]}"; done)"

# ---- measuring ---------------------------------------------------------------------------------------------
tree() {  # pid -> the pid and all its descendants (prefork's workers are child processes)
  local p
  echo "$1"
  for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$p"; done
}
# CPU ticks (user + system, every thread) of a process tree; the command name may hold spaces, so cut after ")".
ticks() { local p t=0; for p in $(tree "$1"); do
  t=$((t + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13} END {if (NR == 0) print 0}'))); done; echo "$t"; }

wrk_run() {  # connections url seconds -> wrk's output (with --latency)
  wrk -t"$THREADS" -c"$1" -d"${3}s" --timeout 2s --latency "$2" 2>&1 || true
}

warm() {  # server: wrk at c=100 in windows until two in a row agree (WARMUP_WINDOW, WARMUP_AGREE, WARMUP_LEAST)
  local s=$1 prev=0 rps spent=0
  while [ "$spent" -lt "$WARMUP_MAX" ]; do
    rps=$(wrk_run 100 "${URL[$s]}" "$WARMUP_WINDOW" | awk '/^Requests\/sec:/ {print $2}')
    spent=$((spent + WARMUP_WINDOW))
    [ "$spent" -ge "$WARMUP_LEAST" ] && awk -v a="${rps:-0}" -v b="$prev" -v p="$WARMUP_AGREE" \
      'BEGIN { f = p / 100; exit !(b > 0 && a > 0 && (a - b) / b < f && (b - a) / b < f) }' && break
    prev=${rps:-0}
  done
  printf '%s\t%s\n' "$s" "$spent" >>"$RUN/warmup.tsv"
  say "$s warmed for $spent s: $(int "${rps:-nan}") req/s"
}

measure() {  # round connections server: one closed-loop run, recorded in rounds.tsv
  local r=$1 c=$2 s=$3 before after out rps reqs p99 errs cpu client TIMEFORMAT='%U %S %R'
  before=$(ticks "${SERVER_PID[$s]}")
  # wrk's own CPU (bash's time: user + system of the child, over its wall time) says whether the client or the
  # server set the pace.
  { time wrk_run "$c" "${URL[$s]}" "$DURATION" >"$RUN/wrk.out"; } 2>"$RUN/wrk.time"
  out=$(cat "$RUN/wrk.out")
  after=$(ticks "${SERVER_PID[$s]}")
  client=$(awk '{ printf "%.0f", ($3 > 0 ? ($1 + $2) * 100 / $3 : 0) }' "$RUN/wrk.time")
  echo "$out" >>"$RUN/wrk.log"
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2; f = 1} END {if (!f) print "nan"}')
  reqs=$(echo "$out" | awk '/requests in/ {print $1; f = 1} END {if (!f) print 0}')
  p99=$(wrk_us "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  errs=$(echo "$out" | awk '/Socket errors:/ {gsub(",", ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF} END {print e + 0}')
  cpu=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { if (n > 0) printf "%.2f", d * 1e6 / hz / n; else print "nan" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$s" "$rps" "$cpu" "$p99" "$errs" "$client" >>"$RUN/rounds.tsv"
  say "round $r c=$c $s: $(int "$rps") req/s, $cpu us CPU per request, p99 $(us "$p99"), wrk at $client % of a core"
}

# ./lab bench exits 1 when requests failed, with its JSON all the same: keep the JSON, whatever the exit code.
lab_json() {
  local out
  out=$("$LAB" bench --url "$1" -c 100 -d "${DURATION}s" -w 1s --timeout 2s --json --quiet "${@:2}" 2>>"$RUN/lab.err") || true
  echo "${out:-"{}"}"
}

for s in nginx $ENGINES; do warm "$s"; done
for r in $(seq 1 "$ROUNDS"); do
  for c in $CONNECTIONS; do
    for s in nginx $ENGINES; do measure "$r" "$c" "$s"; done
  done
done

# An engine that starves connections: ./lab bench counts an unanswered connection as a timeout, wrk does not.
# A server that serves every connection may still time out a few on a loaded machine; one that starves them
# times out most of the 100 in every second (the threshold, 20 a second, lies far from both).
for e in $ENGINES; do
  timeouts=$( ("$LAB" bench --url "${URL[$e]}" -c 100 -d 3s -w 1s --timeout 1s --json --quiet 2>>"$RUN/lab.err" || true) | jq -r '.errors.timeout // 0')
  [ "$timeouts" -lt 60 ] || echo "$e" >>"$RUN/starving"
done

RATE=$(awk '$2 == 100 && $3 == "nginx" && $4 != "nan" {print $4}' "$RUN/rounds.tsv" | stats | awk '{printf "%d", $1 / 2}')
[ "$RATE" -gt 0 ] || die "nginx served nothing; see its output in $RUN/nginx/out.log"
say "open loop at $RATE req/s (half of nginx's median)"
for r in $(seq 1 "$ROUNDS"); do
  for s in nginx $ENGINES; do
    grep -qx "$s" "$RUN/starving" && continue   # its unanswered connections would only add timeouts
    json=$(lab_json "${URL[$s]}" --rate "$RATE")
    echo "$json" >>"$RUN/lab.json"
    echo "$json" | jq -r --arg r "$r" --arg s "$s" \
      '[$r, $s, (.requestsPerSecond // "nan"), (.latencyMicros.p50 // "nan"), (.latencyMicros.p99 // "nan"), (.errors.total // "nan")] | @tsv' >>"$RUN/open.tsv"
    say "open loop round $r $s: p99 $(us "$(echo "$json" | jq -r '.latencyMicros.p99 // "nan"')")"
  done
done

if [ "$RUN_STRACE" = 1 ]; then
  for s in nginx $ENGINES; do
    grep -qx "$s" "$RUN/starving" && continue
    targets=()
    for p in $(tree "${SERVER_PID[$s]}"); do targets+=(-p "$p"); done
    strace -f -c "${targets[@]}" -o "$RUN/strace.$s" 2>/dev/null &
    tracer=$!
    sleep 1
    answered=$(lab_json "${URL[$s]}" --rate "$STRACE_RATE" | jq -r '.totalAnswered // 0')
    kill -INT "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
    [ "$answered" -gt 0 ] || continue
    # strace -c: calls are the 4th column; the syscall name is the last.
    awk -v s="$s" -v n="$answered" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" && $NF != "futex" && $NF != "restart_syscall" {
        c[$NF] = $4 / n; t += $4 / n }
      END { top = ""; for (k in c) if (c[k] >= 0.05) top = top sprintf("%s %.2f, ", k, c[k]); sub(/, $/, "", top)
        printf "%s\t%d\t%.2f\t%s\n", s, n, t, top }' "$RUN/strace.$s" >>"$RUN/sys.tsv"
    say "$s: $(awk -F'\t' -v s="$s" '$1 == s {print $3}' "$RUN/sys.tsv") system calls per request"
  done
fi

if [ "$C10K" -gt 0 ]; then
  for s in nginx $ENGINES; do
    grep -qx "$s" "$RUN/starving" && continue
    say "$s: c10k with $(int "$C10K") connections"
    json=$("$LAB" c10k --url "${URL[$s]}" --server-pid "${SERVER_PID[$s]}" -c "$C10K" --timeout 30s --json 2>>"$RUN/c10k.err") || true
    json=${json:-"{}"}
    echo "$json" >>"$RUN/c10k.json"
    echo "$json" | jq -r --arg s "$s" 'def r(d): if type == "number" then (. * d | round / d) else . end;
      [$s, .connected, (.connectSeconds | r(1000)), .ok, (.totalSeconds | r(1000)), .failures.total,
      .idleRssKiB, .peakRssKiB, (.rssPerConnectionKiB | r(100))] | map(. // "n/a") | @tsv' >>"$RUN/c10k.tsv"
  done
fi

# JMH: bench/jmh.sh's benchmarks with -prof gc, on this tree and on the base commit built in a temporary worktree.
# jmh.tsv: tree (now or base) benchmark ops_per_s bytes_per_op, from JMH's CSV (jmh-now.csv, jmh-base.csv).
jmh() {  # tree_root now|base
  # shellcheck disable=SC2086 # JMH_ARGS are words
  "$1/bench/jmh.sh" $JMH_ARGS -prof gc -rf csv -rff "$RUN/jmh-$2.csv" >"$RUN/jmh-$2.log" 2>&1 || return 1
  awk -F, -v t="$2" 'NR > 1 { gsub(/["\r]/, ""); n = $1; m = ""; if ((i = index(n, ":")) > 0) { m = substr(n, i + 1); n = substr(n, 1, i - 1) }
      k = split(n, p, "."); n = p[k - 1] "." p[k]
      if (m == "" && $NF == "ops/s") { ops[n] = $5; order[++c] = n }
      if (m == "gc.alloc.rate.norm") bop[n] = $5 }
    END { for (i = 1; i <= c; i++) printf "%s\t%s\t%s\t%s\n", t, order[i], ops[order[i]], (order[i] in bop) ? bop[order[i]] : "nan" }' \
    "$RUN/jmh-$2.csv" >>"$RUN/jmh.tsv"
}
if [ "$RUN_JMH" = 1 ]; then
  : >"$RUN/jmh.tsv"
  JMH_NOW=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
  [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || JMH_NOW="$JMH_NOW with uncommitted changes"
  say "JMH: this tree ($JMH_NOW), $JMH_ARGS"
  jmh "$ROOT" now || say "JMH failed on this tree; see $RUN/jmh-now.log"
  if base=$(git -C "$ROOT" rev-parse --verify --quiet "$JMH_BASE^{commit}"); then
    JMH_BASE_COMMIT=$(git -C "$ROOT" rev-parse --short "$base")
    JMH_BASE_SUBJECT=$(git -C "$ROOT" log -1 --format=%s "$base" | sed 's/;.*//' | cut -c 1-120)
    BASE_TREE="$RUN/jmh-base"
    say "JMH: the base $JMH_BASE_COMMIT, in a temporary worktree"
    if git -C "$ROOT" worktree add --detach --quiet "$BASE_TREE" "$base" >"$RUN/jmh-base.log" 2>&1; then
      # this tree's jmh.sh, so that both trees are built and run alike
      mkdir -p "$BASE_TREE/bench" && cp "$ROOT/bench/jmh.sh" "$BASE_TREE/bench/jmh.sh"
      jmh "$BASE_TREE" base || JMH_BASE_STATUS="JMH failed at the base: $(grep -m 1 -E 'ERROR|No matching|Exception' "$RUN/jmh-base.log" | cut -c 1-160)"
      git -C "$ROOT" worktree remove --force "$BASE_TREE" >/dev/null 2>&1 || say "could not remove the worktree $BASE_TREE"
    else
      JMH_BASE_STATUS="no worktree for the base: $(head -n 1 "$RUN/jmh-base.log")"
    fi
    BASE_TREE=""
  else
    JMH_BASE_STATUS="no commit $JMH_BASE"
  fi
  [ -z "$JMH_BASE_STATUS" ] || say "$JMH_BASE_STATUS"
fi

T1=$(date +%s)
LOAD_AFTER=$(uptime | sed 's/.*load average: //')
JAVA_VERSION=$(. "$ROOT/.mvn/find-jdk.sh" && serverlab_find_jdk && "$SERVERLAB_JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)
CORES=$(nproc)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
KERNEL=$(uname -sr)
WRK_VERSION=$( (wrk --version 2>&1 || true) | head -n 1 | awk '{print $2}')
NGINX_VERSION=$( ("$NGINX" -v 2>&1 || true) | sed 's/.*nginx\///')
declare -p STARTED LOAD_BEFORE LOAD_AFTER T0 T1 RATE ENGINES CONNECTIONS DURATION ROUNDS THREADS WARMUP_MAX \
  STRACE_RATE C10K JAVA_VERSION CPU CORES MEM KERNEL WRK_VERSION NGINX_VERSION SERVER_ARGS \
  JMH_ARGS JMH_BASE JMH_NOW JMH_BASE_COMMIT JMH_BASE_SUBJECT JMH_BASE_STATUS >"$RUN/run.vars"
report >"$RUN/report.md"
rm -rf "$LAST" && mkdir -p "$LAST"
cp "$RUN"/*.tsv "$RUN/starving" "$RUN/run.vars" "$LAST"/
for f in wrk.log lab.json c10k.json jmh.tsv jmh-now.csv jmh-base.csv; do [ -f "$RUN/$f" ] && cp "$RUN/$f" "$LAST"/; done
mv "$RUN/report.md" "$OUT"
say "wrote $OUT in $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s"
