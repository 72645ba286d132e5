#!/usr/bin/env bash
# bench/run.sh: measure every engine beside nginx in one run, and write BENCHMARKS.md from what it saw.
#
#   bench/run.sh                          the full run (about 15-20 minutes on 2 cores)
#   BENCH_ENGINES="nio netty" bench/run.sh  only some engines (nginx is always measured: it is the yardstick)
#
# Settings (environment): BENCH_DURATION seconds per measured run (5), BENCH_REPEATS runs per figure, the
# median is quoted (3), BENCH_NGINX_PORT (24080), BENCH_CONNECTIONS ("100 1000"), BENCH_C10K connections (10000), BENCH_C10K_TIMEOUT
# (30s), BENCH_STRETCH connections to try on the unbounded engines (100000, capped by the open-file limit),
# BENCH_REPORT_ONLY (1: write BENCHMARKS.md again from the raw results kept in bench/last-run, without
# measuring), BENCH_JMH (1: run the parser's JMH benchmark), BENCH_PROFILE (1: count each server's system calls per
# request with strace, and profile the event-driven engines with JFR), BENCH_OUT (BENCHMARKS.md at the root).
#
# It installs wrk and nginx-light when they are missing (apt-get, as root or with sudo), runs nginx on
# loopback with bench/nginx.conf (1 worker, no access log), and stops everything it started, by PID.
set -euo pipefail
export LC_ALL=C

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
LAB="$ROOT/lab"
DURATION=${BENCH_DURATION:-5}
REPEATS=${BENCH_REPEATS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-"100 1000"}
C10K=${BENCH_C10K:-10000}
C10K_TIMEOUT=${BENCH_C10K_TIMEOUT:-30s}
STRETCH=${BENCH_STRETCH:-100000}
RUN_JMH=${BENCH_JMH:-1}
RUN_PROFILE=${BENCH_PROFILE:-1}
command -v strace >/dev/null 2>&1 || RUN_PROFILE=0
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
UNBOUNDED="virtual nio netty vertx"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=()
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- helpers: numbers ---------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" | head -n 1 | tr -d '"'; }
object() { sed -n "s/.*\"$1\":{\([^}]*\)}.*/{\1}/p" | head -n 1; }
int() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else { s = sprintf("%.0f", v); r = ""; while (length(s) > 3) { r = "," substr(s, length(s)-2) r; s = substr(s, 1, length(s)-3) }; print s r } }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
ms() { awk -v us="$1" 'BEGIN { if (us == "" || us == "nan") print "n/a"; else if (us < 1000) printf "%d us", us; else if (us < 1000000) printf "%.2f ms", us / 1000; else printf "%.2f s", us / 1000000 }'; }
record() { printf '%s\n' "$*" >>"$RUN/results"; }
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$RUN/results"; }
# An engine that leaves connections unanswered is not compared on speed: its rate is that of the few it serves.
serves_all() { [ "$(get "laberr.$1.100")" = 0 ]; }

wrk_rps() {  # connections url -> requests/s; timeouts and errors to $RUN/wrk.err
  local out
  out=$(wrk -t2 -c"$1" -d"${DURATION}s" --timeout 2s "$2" 2>&1) || true
  echo "$out" >>"$RUN/wrk.log"
  echo "$out" | awk '/^Requests\/sec:/ {print $2; found=1} END {if (!found) print "nan"}'
  echo "$out" | awk '/Socket errors:/ {gsub(",", ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF} END {print e + 0}' >>"$RUN/wrk.err"
}

lab_bench() {  # connections url [more options] -> the JSON line
  local c=$1 url=$2
  shift 2
  "$LAB" bench --url "$url" -c "$c" -d "${DURATION}s" -w 1s --timeout 2s --json --quiet "$@" 2>>"$RUN/lab.err" || echo '{}'
}


REPORT_ONLY=${BENCH_REPORT_ONLY:-0}
LAST=${BENCH_LAST:-$ROOT/bench/last-run}
PIDS=()

if [ "$REPORT_ONLY" = 1 ]; then
  # Only the report: rewrite BENCHMARKS.md from the raw results of the last run, kept in bench/last-run.
  [ -f "$LAST/results" ] || die "no results in $LAST: run bench/run.sh first"
  RUN=$(mktemp -d "${TMPDIR:-/tmp}/serverlab-bench.XXXXXX")
  trap 'rm -rf "$RUN"' EXIT
  cp -R "$LAST"/. "$RUN"/
  . "$RUN/run.vars"
else

# ---- tools -------------------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    die "please install ${need[*]} (e.g. apt-get install -y ${need[*]}) and run again"; fi
  say "installing ${need[*]}..."
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || die "could not install ${need[*]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v curl >/dev/null 2>&1 || true

# ---- limits: each connection is a file; raise the soft limit to the hard one (and the hard one, as root) --
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((STRETCH + 1024)) ]; then
  ulimit -Hn $((STRETCH + 1024)) 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FILES=$(ulimit -n)

# ---- cleanup: everything started here is stopped by PID ----------------------------------------------
RUN=$(mktemp -d "${TMPDIR:-/tmp}/serverlab-bench.XXXXXX")
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ---------------------------------------------------------------------------------------------
say "building serverlab..."
"$LAB" engines >"$RUN/engines" || die "the build failed"
ALL=$(awk '/^[^ ]/ {print $1}' "$RUN/engines" | tr '\n' ' ')
ENGINES=${BENCH_ENGINES:-$ALL}
for e in $ENGINES; do grep -qw "^$e" "$RUN/engines" || die "no engine '$e'; available: $ALL"; done
say "engines: $ENGINES"
LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$(date +%s)

# ---- nginx ---------------------------------------------------------------------------------------------
# A port below the ephemeral range (32768-60999 by default), where no client socket of this machine lands.
NGINX_PORT=${BENCH_NGINX_PORT:-24080}
mkdir -p "$RUN/nginx"
for attempt in 1 2 3 4 5; do
  while port_open "$NGINX_PORT"; do NGINX_PORT=$((NGINX_PORT + 1)); done
  sed -e "s/40480/$NGINX_PORT/" -e "s/worker_connections [0-9]*/worker_connections $((FILES - 64))/" \
    "$ROOT/bench/nginx.conf" >"$RUN/nginx/nginx.conf"
  "$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -g "pid $RUN/nginx/nginx.pid; daemon off;" >"$RUN/nginx/out.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  for _ in $(seq 1 40); do port_open "$NGINX_PORT" && break; kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.25; done
  port_open "$NGINX_PORT" && break
  stop_pid "$NGINX_PID"
  NGINX_PORT=$((NGINX_PORT + 1))   # taken by something that does not accept connections: try the next one
done
port_open "$NGINX_PORT" || die "nginx did not start: $(cat "$RUN/nginx/out.log")"

# ---- one target: throughput with wrk and ./lab bench, then latency at a fixed rate ------------------------
measure() {  # name url
  local name=$1 url=$2 c r rps json
  say "$name: warming up"
  wrk -t2 -c100 -d2s --timeout 2s "$url" >/dev/null 2>&1 || true
  for c in $CONNECTIONS; do
    : >"$RUN/wrk.samples"; : >"$RUN/lab.samples"; : >"$RUN/wrk.err"; : >"$RUN/lab.errors"
    for r in $(seq 1 "$REPEATS"); do
      rps=$(wrk_rps "$c" "$url"); echo "$rps" >>"$RUN/wrk.samples"
      json=$(lab_bench "$c" "$url"); echo "$json" >>"$RUN/lab.json"
      echo "$json" | field requestsPerSecond >>"$RUN/lab.samples"
      echo "$json" | object errors | field total >>"$RUN/lab.errors"
      say "$name c=$c run $r: wrk $(int "$rps") req/s, lab $(int "$(echo "$json" | field requestsPerSecond)") req/s"
    done
    record "wrk.$name.$c $(median <"$RUN/wrk.samples")"
    record "lab.$name.$c $(median <"$RUN/lab.samples")"
    record "wrkerr.$name.$c $(median <"$RUN/wrk.err")"
    record "laberr.$name.$c $(median <"$RUN/lab.errors")"
  done
  if [ -n "${RATE:-}" ]; then
    json=$(lab_bench 100 "$url" --rate "$RATE")
    local lat
    lat=$(echo "$json" | object latencyMicros)
    record "rate.$name $(echo "$json" | field requestsPerSecond) $(echo "$lat" | field p50) $(echo "$lat" | field p99) $(echo "$lat" | field p999) $(echo "$lat" | field max) $(echo "$json" | object errors | field total) $(echo "$json" | object serviceTimeMicros | field p99)"
    say "$name at $RATE req/s: p99 $(ms "$(echo "$lat" | field p99)")"
  fi
}

c10k() {  # name n [lab c10k options] -> records c10k.name.n
  local name=$1 n=$2 json
  shift 2
  say "$name: c10k with $(int "$n") connections"
  json=$("$LAB" c10k -c "$n" --timeout "$C10K_TIMEOUT" --json "$@" 2>>"$RUN/c10k.err" || true)
  [ -n "$json" ] || json='{}'
  echo "$json" >>"$RUN/c10k.json"
  local f
  f=$(echo "$json" | object failures)
  record "c10k.$name.$n $(echo "$json" | field connected) $(echo "$json" | field connectSeconds) $(echo "$json" | field ok) $(echo "$json" | field totalSeconds) $(echo "$f" | field total) $(echo "$f" | field connect) $(echo "$f" | field connectTimeout) $(echo "$f" | field reset) $(echo "$f" | field timeout) $(echo "$f" | field wrongAnswer) $(echo "$json" | field idleRssKiB) $(echo "$json" | field peakRssKiB) $(echo "$json" | field rssPerConnectionKiB)"
}

tree() {  # pid -> the pid and all its descendants (a prefork server's workers are child processes)
  local p
  echo "$1"
  for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$p"; done
}

syscalls() {  # name pid url -> records sys.name: system calls per answered request, by call, at 5,000 req/s
  [ "$RUN_PROFILE" = 1 ] || return 0
  local name=$1 pid=$2 url=$3 tracer answered p targets=()
  [ "$name" = nginx ] || serves_all "$name" || return 0
  for p in $(tree "$pid"); do targets+=(-p "$p"); done
  strace -c -f "${targets[@]}" -o "$RUN/strace.$name" 2>/dev/null &
  tracer=$!
  sleep 1
  answered=$(lab_bench 100 "$url" --rate 5000 | field totalAnswered)
  kill -INT "$tracer" 2>/dev/null || true
  wait "$tracer" 2>/dev/null || true
  [ -n "$answered" ] && [ "$answered" -gt 0 ] || return 0
  record "sys.$name $answered $(awk -v n="$answered" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" && $NF != "futex" && $NF != "restart_syscall" {
      if ($4 / n >= 0.05) printf "%s=%.2f ", $NF, $4 / n }' "$RUN/strace.$name")"
}

NGINX_URL="http://127.0.0.1:$NGINX_PORT/"
RATE=
measure nginx "$NGINX_URL"
NGINX_MAX=$(get wrk.nginx.100)
RATE=$(awk -v m="$NGINX_MAX" 'BEGIN { printf "%d", m / 2 }')
[ "$RATE" -gt 0 ] || die "nginx served nothing; see $RUN/wrk.log"
say "open-loop rate: $RATE req/s (half of nginx's $(int "$NGINX_MAX"))"
json=$(lab_bench 100 "$NGINX_URL" --rate "$RATE")
lat=$(echo "$json" | object latencyMicros)
record "rate.nginx $(echo "$json" | field requestsPerSecond) $(echo "$lat" | field p50) $(echo "$lat" | field p99) $(echo "$lat" | field p999) $(echo "$lat" | field max) $(echo "$json" | object errors | field total) $(echo "$json" | object serviceTimeMicros | field p99)"
syscalls nginx "$NGINX_PID" "$NGINX_URL"
c10k nginx "$C10K" --url "$NGINX_URL" --server-pid "$NGINX_PID"
stop_pid "$NGINX_PID"

for e in $ENGINES; do
  "$LAB" serve --engine "$e" --port 0 >"$RUN/serve.$e.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  port=
  for _ in $(seq 1 120); do
    port=$(sed -n 's/.*serving on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$RUN/serve.$e.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if [ -z "$port" ]; then
    say "$e did not start: $(tail -n 3 "$RUN/serve.$e.log")"
    stop_pid "$pid"
    continue
  fi
  record "details.$e $(sed -n 's/.*serving on http:[^ ]* (\(.*\)); Ctrl-C.*/\1/p' "$RUN/serve.$e.log" | head -n 1)"
  measure "$e" "http://127.0.0.1:$port/"
  syscalls "$e" "$pid" "http://127.0.0.1:$port/"
  stop_pid "$pid"
  c10k "$e" "$C10K" --engine "$e"
done

# The stretch goal, on the engines built for it, as far as the open-file limit allows.
STRETCH_N=$STRETCH
[ "$FILES" -gt $((STRETCH + 1024)) ] || STRETCH_N=$(( (FILES - 1024) / 1000 * 1000 ))
for e in $UNBOUNDED; do
  case " $ENGINES " in *" $e "*) c10k "$e" "$STRETCH_N" --engine "$e" ;; esac
done

# ---- JFR: where the event-driven engines spend their time ----------------------------------------------
if [ "$RUN_PROFILE" = 1 ]; then
  JFR_BIN=$(. "$ROOT/.mvn/find-jdk.sh" && serverlab_find_jdk && echo "$SERVERLAB_JAVA_HOME/bin/jfr")
  for e in $UNBOUNDED; do
    case " $ENGINES " in *" $e "*) ;; *) continue ;; esac
    say "$e: JFR profile"
    rps=$("$LAB" bench --engine "$e" -c 100 -d "${DURATION}s" -w 1s --quiet --json \
      --server-jvm-arg="-XX:StartFlightRecording=filename=$RUN/$e.jfr,settings=profile" 2>>"$RUN/lab.err" | field requestsPerSecond || true)
    [ -f "$RUN/$e.jfr" ] || continue
    "$JFR_BIN" view --width 110 hot-methods "$RUN/$e.jfr" 2>/dev/null | sed -n '/^Method/,$p' | head -n 10 >"$RUN/$e.hot" || true
    # jdk.CPULoad is a share of the whole machine, once a second: the median of the busy seconds, as % of one core.
    u=$("$JFR_BIN" print --events jdk.CPULoad "$RUN/$e.jfr" 2>/dev/null | awk -F'= ' '/jvmUser/ {print $2 + 0}' | awk '$1 > 1' | median || true)
    s=$("$JFR_BIN" print --events jdk.CPULoad "$RUN/$e.jfr" 2>/dev/null | awk -F'= ' '/jvmSystem/ {print $2 + 0}' | awk '$1 > 1' | median || true)
    # Server CPU per request: the share of a core it used, over the requests per second it answered.
    awk -v u="$u" -v s="$s" -v c="$(nproc)" -v r="${rps:-0}" 'BEGIN { if (u == "nan" || s == "nan") print "n/a n/a n/a";
      else printf "%.0f %.0f %s\n", u * c, s * c, (r > 0 ? sprintf("%.1f", (u + s) * c / 100 * 1e6 / r) : "n/a") }' >"$RUN/$e.cpu"
  done
fi

# ---- JMH ------------------------------------------------------------------------------------------------
if [ "$RUN_JMH" = 1 ]; then
  say "JMH: the shared parser"
  "$ROOT/bench/jmh.sh" -prof gc -rf text -rff "$RUN/jmh.txt" RequestParserBenchmark >"$RUN/jmh.log" 2>&1 || say "JMH failed; see the log"
fi
T1=$(date +%s)
LOAD_AFTER=$(uptime | sed 's/.*load average: //')

# ---- BENCHMARKS.md -------------------------------------------------------------------------------------------
JAVA_VERSION=$(. "$ROOT/.mvn/find-jdk.sh" && serverlab_find_jdk && "$SERVERLAB_JAVA_HOME/bin/java" -version 2>&1 | head -n 2 | tail -n 1)
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)
CORES=$(nproc)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
KERNEL=$(uname -sr)
WRK_VERSION=$( (wrk --version 2>&1 || true) | head -n 1 | awk '{print $2}')
NGINX_VERSION=$( ("$NGINX" -v 2>&1 || true) | sed 's/.*nginx\///')

# The raw results, so the report can be written again (BENCH_REPORT_ONLY=1) without measuring again.
declare -p STARTED LOAD_BEFORE LOAD_AFTER T0 T1 FILES RATE STRETCH STRETCH_N ENGINES CONNECTIONS DURATION REPEATS \
  C10K C10K_TIMEOUT RUN_PROFILE JAVA_VERSION CPU CORES MEM KERNEL WRK_VERSION NGINX_VERSION >"$RUN/run.vars"
rm -rf "$LAST" && mkdir -p "$LAST"
for f in results run.vars lab.json c10k.json wrk.log jmh.txt ./*.hot ./*.cpu; do
  for g in "$RUN"/$f; do [ -f "$g" ] && cp "$g" "$LAST"/; done
done
fi

# What each model is, in a sentence; the figures after it are this run's.
model() {
  case "$1" in
    blocking) echo "one thread serves one connection at a time: every other keep-alive connection waits in the accept backlog until the one being served closes, so at 100 or 1,000 connections it measures a queue, not a server." ;;
    prefork) echo "a fixed set of worker processes, each serving one connection at a time: throughput scales with the workers until the connections outnumber them, then the rest queue as with blocking." ;;
    threadpool) echo "an accept thread hands connections to a bounded pool: fast while the connections fit in the pool; beyond it, connections queue for a thread and idle keep-alive connections hold threads." ;;
    virtual) echo "a virtual thread per connection: blocking code, but a parked connection costs a small heap stack, not an OS thread, so thousands of connections are cheap." ;;
    nio) echo "hand-written selector loops over the shared codec: no thread per connection, a connection costs a buffer and a small state object, and no framework stands between the socket and the application." ;;
    netty) echo "Netty's event loops (epoll where available) with its own HTTP codec and pooled buffers." ;;
    vertx) echo "Vert.x verticles on Netty's event loops: the same transport as netty with a thin layer on top." ;;
    *) echo "" ;;
  esac
}

discussion() {
  local slowest_name= slowest=
  for e in $ENGINES; do
    v=$(get "wrk.$e.100"); [ -n "$v" ] && [ "$v" != nan ] || continue
    serves_all "$e" || continue
    if [ -z "$slowest" ] || awk -v a="$v" -v b="$slowest" 'BEGIN { exit !(a < b) }'; then slowest_name=$e; slowest=$v; fi
  done
  echo "At 100 connections the fastest engine that answers every connection is **${best_name:-none}** ($(int "$best_rps") requests/s with wrk,"
  echo "$(ratio "$best_rps" "$NGINX_100") x nginx with one worker) and the slowest is **${slowest_name:-none}** ($(int "${slowest:-nan}") requests/s)."
  echo "\`./lab bench\` against nginx reached $GEN x wrk's rate at 100 connections and $GEN1000 x at 1,000."
  if [ "$RUN_PROFILE" = 1 ]; then
    local costs= e per
    for e in $UNBOUNDED; do
      [ -s "$RUN/$e.cpu" ] || continue
      read -r _ _ per _ <<<"$(cat "$RUN/$e.cpu") n/a n/a n/a"
      costs="$costs $e $per us,"
    done
    [ -z "$costs" ] || echo "Server CPU per request under load (JFR, see above):${costs%,}. On 2 shared cores, where the load generator"
    [ -z "$costs" ] || echo "takes its share, requests per second follow the CPU a request costs and how many cores the engine's loops or"
    [ -z "$costs" ] || echo "carrier threads can use (each engine's threads are in parentheses below)."
    local calls= t row
    for t in nginx $ENGINES; do
      row=$(get "sys.$t")
      [ -n "$row" ] || continue
      calls="$calls $t $(echo "${row#* }" | tr ' ' '\n' | awk -F= 'NF == 2 {n += $2} END {printf "%.1f", n}'),"
    done
    [ -z "$calls" ] || echo "System calls per request (strace, see above):${calls%,}."
  fi
  echo
  for e in $ENGINES; do
    local row ok ts per
    row=$(get "c10k.$e.$C10K")
    read -r _ _ ok ts _ _ _ _ _ _ _ _ per _ <<<"$row n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a"
    read -r _ _ p99 _ <<<"$(get "rate.$e") n/a n/a n/a n/a n/a n/a"
    local started
    started=$(get "details.$e")
    printf -- '- **%s** (%s): %s Here: %s x nginx at 100 connections and %s x at 1,000; p99 %s at %s requests/s; c10k %s of %s correct, the last after %s s, %s KiB per connection.\n' \
      "$e" "${started:-default options}" "$(model "$e")" "$(ratio "$(get "wrk.$e.100")" "$NGINX_100")" "$(ratio "$(get "wrk.$e.1000")" "$(get wrk.nginx.1000)")" \
      "$(ms "$p99")" "$(int "$RATE")" "$(int "$ok")" "$(int "$C10K")" "$ts" "$per"
  done
  echo
  echo "Where the models part: the thread-per-connection models (blocking, prefork, threadpool) are as fast as any"
  echo "while connections are few and short, and fall apart when connections outnumber their threads, since an idle"
  echo "keep-alive connection holds a thread; the c10k table shows it as timeouts and a long drain. The event loops"
  echo "(nio, netty, vertx) and virtual threads keep every connection open at a small memory cost per connection and"
  echo "answer all of them after one sleep. On 2 shared cores the load generator and the server compete for CPU, so"
  echo "the throughput ranking follows the CPU each engine spends per request and the cores its threads can use."
}

NGINX_100=$(get wrk.nginx.100)

best_name=; best_rps=0
for e in $ENGINES; do
  v=$(get "wrk.$e.100")
  [ -n "$v" ] && [ "$v" != nan ] && serves_all "$e" || continue
  if awk -v a="$v" -v b="$best_rps" 'BEGIN { exit !(a > b) }'; then best_name=$e; best_rps=$v; fi
done
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { if (r == "n/a") print "not measured"; else if (r + 0 >= g + 0) print "met"; else print "**not met**" }'; }

{
  echo "# Benchmarks"
  echo
  echo "Written by \`bench/run.sh\` from one run on $STARTED; every figure below comes from that run. Run it again to"
  echo "replace them (see [demo-client/BENCH.md](demo-client/BENCH.md) for the commands it uses)."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| machine | $CORES cores ($CPU), $MEM, $KERNEL |"
  echo "| JDK | $JAVA_VERSION |"
  echo "| tools | wrk $WRK_VERSION (-t2), nginx $NGINX_VERSION (1 worker, access_log off) |"
  echo "| command | \`bench/run.sh\` (BENCH_DURATION=$DURATION BENCH_REPEATS=$REPEATS BENCH_CONNECTIONS=\"$CONNECTIONS\" BENCH_C10K=$C10K) |"
  echo "| load average | $LOAD_BEFORE before, $LOAD_AFTER after (other work on the machine shares its cores) |"
  echo "| open files | $FILES per process |"
  echo "| duration | $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s |"
  echo
  echo "Client and server share the same cores, as the issue asks: on 2 cores the load generator takes about half"
  echo "the machine, so absolute figures are far below what a server reaches with its own cores. Compare the ratios."
  echo "Each throughput figure is the median of $REPEATS runs of $DURATION s, wrk and \`./lab bench\` taking turns on"
  echo "the same server; \`./lab bench\` uses 2 selector threads, a 1 s warm-up, and the same 2 s timeout as wrk."
  echo
  echo "## Throughput: GET / (requests per second)"
  echo
  printf '| server |'; for c in $CONNECTIONS; do printf ' wrk c=%s | lab c=%s | lab/wrk |' "$c" "$c"; done; printf ' vs nginx (wrk, c=100) | errors (median per run) |\n'
  printf '|---|'; for c in $CONNECTIONS; do printf -- '---:|---:|---:|'; done; printf -- '---:|---|\n'
  for t in nginx $ENGINES; do
    printf '| %s |' "$t"
    errs=
    for c in $CONNECTIONS; do
      w=$(get "wrk.$t.$c"); l=$(get "lab.$t.$c")
      printf ' %s | %s | %s |' "$(int "${w:-nan}")" "$(int "${l:-nan}")" "$(ratio "${l:-nan}" "${w:-nan}")"
      errs="$errs c=$c: lab $(get "laberr.$t.$c"), wrk $(get "wrkerr.$t.$c");"
    done
    mark=; serves_all "$t" || [ "$t" = nginx ] || mark=" (starves)"
    printf ' %s%s |%s |\n' "$(ratio "$(get "wrk.$t.100")" "$NGINX_100")" "$mark" "$errs"
  done
  echo
  echo "The errors column counts failed requests per run (for \`./lab bench\`, mostly timeouts: no answer within 2 s)."
  echo "A serial or pooled engine serves only as many keep-alive connections as it has threads or processes; the"
  echo "others wait unanswered for the whole run. Its requests/s is then the rate of the few connections it serves,"
  echo "and \`./lab bench\` reports the starved ones as timeouts, where wrk (4.1) reports no error at all. Such an engine"
  echo "is marked (starves) and left out of the speed comparisons below."
  echo
  echo "## Goals"
  echo
  GEN=$(ratio "$(get lab.nginx.100)" "$(get wrk.nginx.100)")
  GEN1000=$(ratio "$(get lab.nginx.1000)" "$(get wrk.nginx.1000)")
  BEST=$(ratio "$best_rps" "$NGINX_100")
  NIO=$(ratio "$(get wrk.nio.100)" "$(get wrk.netty.100)")
  VIRT=$(ratio "$(get wrk.virtual.100)" "$(get wrk.netty.100)")
  echo "| goal | measured (wrk, c=100) | |"
  echo "|---|---:|---|"
  echo "| \`./lab bench\` reaches >= 0.8 x wrk against nginx | $GEN (c=100), $GEN1000 (c=1000) | $(verdict "$GEN" 0.8) |"
  echo "| the best engine (of those answering every connection) >= nginx | ${best_name:-none}: $BEST | $(verdict "$BEST" 1.0) |"
  echo "| nio >= 0.8 x netty | $NIO | $(verdict "$NIO" 0.8) |"
  echo "| virtual >= 0.7 x netty | $VIRT | $(verdict "$VIRT" 0.7) |"
  echo
  echo "## Latency at a fixed rate: $(int "$RATE") requests/s (half of nginx's maximum), 100 connections"
  echo
  echo "Open loop (\`./lab bench --rate $RATE\`): latency counts from each request's intended send time, so a server"
  echo "that falls behind is charged for every request it kept waiting. A server below the rate shows it in the first column;"
  echo "one that caught up after falling behind during the warm-up answers more than the rate. For an engine that starves"
  echo "connections the percentiles cover only the requests it answered. The last column leaves out the time a request"
  echo "waited for its connection to be free: a large gap between it and p99 means the server fell behind the schedule."
  echo
  echo "| server | answered req/s | p50 | p99 | p99.9 | max | errors | p99 from the actual send |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for t in nginx $ENGINES; do
    read -r rps p50 p99 p999 max errs sp99 _ <<<"$(get "rate.$t") n/a n/a n/a n/a n/a n/a n/a"
    echo "| $t | $(int "$rps") | $(ms "$p50") | $(ms "$p99") | $(ms "$p999") | $(ms "$max") | $errs | $(ms "$sp99") |"
  done
  echo
  echo "## C10K: $(int "$C10K") connections, one GET /sleep/1000 on each"
  echo
  echo "\`./lab c10k -c $C10K --timeout $C10K_TIMEOUT\`: all connections open first (spread over loopback source"
  echo "addresses), then one request on each at once. Memory is the server's RSS (process tree) at the peak minus idle,"
  echo "per connection. nginx has no sleep: bench/nginx.conf answers /sleep/1000 at once, so its row shows only"
  echo "what holding the connections costs."
  echo
  c10k_table() {
    local n=$1; shift
    echo "| server | connected | connect time | correct answers | last answer after | failures (connect / connect timeout / reset / timeout / wrong) | RSS idle | RSS peak | per connection |"
    echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
    for t in "$@"; do
      local row
      row=$(get "c10k.$t.$n")
      [ -n "$row" ] || continue
      read -r conn cs ok ts ftot fc fct fr ft fw idle peak per <<<"$row"
      if [ -z "$ok" ]; then echo "| $t | the run failed; see its output | | | | | | | |"; continue; fi
      echo "| $t | $(int "$conn") | ${cs} s | $(int "$ok") | ${ts} s | $ftot ($fc / $fct / $fr / $ft / $fw) | $(int "$idle") KiB | $(int "$peak") KiB | ${per} KiB |"
    done
  }
  c10k_table "$C10K" nginx $ENGINES
  echo
  echo "### Stretch: $(int "$STRETCH_N") connections"
  echo
  if [ "$STRETCH_N" -lt "$STRETCH" ]; then
    echo "The goal is $(int "$STRETCH"); this machine allows $FILES open files per process and the hard limit could"
    echo "not be raised here (\`ulimit -Hn\` needs CAP_SYS_RESOURCE), so the stretch ran at $(int "$STRETCH_N"). On a"
    echo "machine where you may: \`ulimit -Hn 110000 && ulimit -n 110000 && bench/run.sh\`."
    echo
  fi
  c10k_table "$STRETCH_N" $UNBOUNDED
  echo
  if [ "$RUN_PROFILE" = 1 ]; then
    echo "## Where the time goes"
    echo
    echo "System calls per answered request, counted with \`strace -c -f\` on the server while \`./lab bench --rate 5000\`"
    echo "ran, for the servers that answer every connection (futex, the JVM's own locking and parking, left out):"
    echo
    for t in nginx $ENGINES; do
      row=$(get "sys.$t")
      [ -n "$row" ] && echo "- **$t** (${row%% *} requests): ${row#* }"
    done
    echo
    for e in $UNBOUNDED; do
      [ -s "$RUN/$e.hot" ] || continue
      read -r user sys per _ <<<"$(cat "$RUN/$e.cpu" 2>/dev/null) n/a n/a n/a"
      echo "**$e** under \`./lab bench -c 100\` (JFR): the server JVM used $user% user and $sys% system time of one core"
      echo "(median of its busy seconds), about **$per us of server CPU per request**. Its hottest Java methods (execution"
      echo "samples; time in system calls is not sampled):"
      echo
      echo '```'
      cat "$RUN/$e.hot"
      echo '```'
      echo
    done
  fi
  if [ -f "$RUN/jmh.txt" ]; then
    echo "## The shared parser (JMH, \`bench/jmh.sh\`)"
    echo
    echo "\`RequestParser\` on one thread: a curl-like request (3 fields) and a browser-like one (20 fields)."
    echo "\`gc.alloc.rate.norm\` is the bytes allocated per parsed request."
    echo
    echo '```'
    grep -E '^(Benchmark|RequestParserBenchmark\.[a-zA-Z]+ |RequestParserBenchmark\.[a-zA-Z]+:gc\.alloc\.rate\.norm)' "$RUN/jmh.txt"
    echo '```'
    echo
  fi
  echo "## Discussion"
  echo
  discussion
} >"$RUN/BENCHMARKS.md"
mv "$RUN/BENCHMARKS.md" "$OUT"
if [ "$REPORT_ONLY" = 1 ]; then say "wrote $OUT from $LAST"; else say "wrote $OUT in $(( (T1 - T0) / 60 )) min $(( (T1 - T0) % 60 )) s"; fi
