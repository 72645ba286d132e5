# ./lab's build bookkeeping: when to rebuild, what the last build saw, and one build at a time.
# Sourced by ./lab (and by LauncherTest, which drives each function on a scratch tree). POSIX sh.
#
# A build is stale when any of these holds, so ./lab cannot run on something other than the sources:
#   - demo-client's classes, its class path file or the inputs manifest is missing;
#   - an entry of the class path is missing (e.g. after `./mvnw -pl engine-nio clean`);
#   - an input is newer than the manifest (a source, resource, POM, ./mvnw or a file under .mvn/);
#   - the list of inputs differs from the manifest (a source was deleted, added or renamed).

# Every input of the lab's build, one path a line, sorted.
serverlab_lab_inputs() {
  (cd "$1" && find . \( -name target -o -name .git -o -name lab-results -o -name .lab -o -path ./demo-client/src/it \) -prune -o -type f \
      \( -path '*/src/main/*' -o -name pom.xml -o -name bom.xml -o -path './.mvn/*' -o -path ./mvnw \) -print) | LC_ALL=C sort
}

# 0 (true) when the lab must be rebuilt; prints why on stdout.
serverlab_lab_stale() {
  _root=$1 _target="$1/demo-client/target"
  for _f in "$_target/classes" "$_target/lab.classpath" "$_target/lab.inputs"; do
    [ -e "$_f" ] || { echo "missing $_f"; return 0; }
  done
  _old_ifs=$IFS; IFS=:
  for _entry in $(cat "$_target/lab.classpath"); do
    [ -e "$_entry" ] || { IFS=$_old_ifs; echo "missing class path entry $_entry"; return 0; }
  done
  IFS=$_old_ifs
  # `if`, not `&&`: ./lab runs under set -e, which a false test ending the loop would trip.
  _newer=$(cd "$_root" && serverlab_lab_inputs . | while IFS= read -r _p; do
      if [ "$_p" -nt "$_target/lab.inputs" ]; then echo "$_p"; break; fi; done)
  [ -z "$_newer" ] || { echo "changed $_newer"; return 0; }
  serverlab_lab_inputs "$_root" | cmp -s - "$_target/lab.inputs" || { echo "sources added or deleted"; return 0; }
  return 1
}

# Call before the build: lists the inputs as they are now, in a file dated now.
serverlab_lab_snapshot() {
  mkdir -p "$1/.lab"
  serverlab_lab_inputs "$1" > "$1/.lab/inputs.$$"
}

# Call after a successful build: the snapshot becomes the manifest. It keeps the time taken before the
# build, so an edit made while the build ran still counts as newer next time.
serverlab_lab_record() {
  mkdir -p "$1/demo-client/target"
  mv -f "$1/.lab/inputs.$$" "$1/demo-client/target/lab.inputs"
}

# One build (or training) at a time: a second ./lab waits here until the first is done. The lock is a
# directory (atomic on every file system) holding its owner's pid; a lock whose owner died is taken over.
# Until serverlab_lab_unlock, an exit (Ctrl-C too) releases it.
serverlab_lab_lock() {
  mkdir -p "$1/.lab"
  _lock="$1/.lab/build.lock" _told=false
  until mkdir "$_lock" 2>/dev/null; do
    _owner=$(cat "$_lock/pid" 2>/dev/null || true)
    if [ -n "$_owner" ] && ! kill -0 "$_owner" 2>/dev/null; then
      rm -rf "$_lock"
      continue
    fi
    if ! $_told; then
      echo "lab: another ./lab is building serverlab${_owner:+ (pid $_owner)}; waiting for it..." >&2
      _told=true
    fi
    sleep 1
  done
  echo $$ > "$_lock/pid"
  _serverlab_locked=$1
  trap 'serverlab_lab_unlock "$_serverlab_locked"' EXIT
  trap 'serverlab_stop_child; exit 130' INT
  trap 'serverlab_stop_child; exit 143' TERM
}

# Runs a command (the build, a training) as a child and waits for it. A TERM or INT to ./lab (kill by PID,
# timeout(1), Ctrl-C) then stops the child too, and waits for it before the lock is given up: left running,
# it would go on writing in target/ while the next ./lab, finding the lock free, builds there as well.
serverlab_run() {
  "$@" &
  _serverlab_child=$!
  _serverlab_status=0
  wait "$_serverlab_child" || _serverlab_status=$?
  _serverlab_child=
  return "$_serverlab_status"
}

serverlab_stop_child() {
  if [ -n "${_serverlab_child:-}" ]; then
    kill "$_serverlab_child" 2>/dev/null || true
    wait "$_serverlab_child" 2>/dev/null || true
  fi
}

serverlab_lab_unlock() {
  rm -rf "$1/.lab/build.lock"
  trap - EXIT INT TERM
}

# ./lab's start-up cache: a JDK 25 AOT cache (JEP 483, 514, 515) of the classes and method profiles of the
# lab's engines at work, which ./lab and the server JVMs it starts use (see StartupCache.java). It lives in
# demo-client/target/aot and is trained once per build and JDK by Training.java, which serves every engine on
# loopback for a few seconds. Skipped on a JDK before 25 and with LAB_AOT=off. It is stale when the JDK or the
# class path differ from what its key file records, or an entry of the class path is newer than the key; a
# training that failed is not tried again until then.

# The demo-client jar (the cache cannot hold classes from a folder such as target/classes), or false.
serverlab_lab_jar() {
  for _jar in "$1"/demo-client/target/serverlab-demo-client-*.jar; do
    case $_jar in *-sources.jar|*-javadoc.jar|*-tests.jar) continue ;; esac
    if [ -f "$_jar" ]; then echo "$_jar"; return 0; fi
  done
  return 1
}

# 0 (true) when ./lab uses a start-up cache with the JDK at $1: on unless LAB_AOT=off, and a JDK >= 25 (read
# from its release file: no JVM is started to ask).
serverlab_aot_wanted() {
  [ "${LAB_AOT:-on}" != off ] || return 1
  _v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n 1)
  [ "${_v:-0}" -ge 25 ]
}

# What a cache depends on: the JDK ($1, its path and release file) and the class path ($2).
serverlab_aot_key() {
  printf 'java.home=%s\n' "$1"
  cat "$1/release"
  printf 'class.path=%s\n' "$2"
}

# 0 (true) when the cache in folder $1 must be trained for JDK $2 and class path $3; prints why on stdout.
serverlab_aot_stale() {
  [ -e "$1/lab.aot.key" ] || { echo "none yet"; return 0; }
  serverlab_aot_key "$2" "$3" | cmp -s - "$1/lab.aot.key" || { echo "the JDK or the class path changed"; return 0; }
  _old_ifs=$IFS; IFS=:
  for _entry in $3; do
    if [ "$_entry" -nt "$1/lab.aot.key" ]; then IFS=$_old_ifs; echo "changed $_entry"; return 0; fi
  done
  IFS=$_old_ifs
  return 1
}

# Trains the cache in folder $1 for JDK $2 and class path $3. Never fails the lab: without a cache it runs as
# it always did. The key is written before the training, so a jar rebuilt meanwhile makes it stale.
serverlab_aot_train() {
  mkdir -p "$1"
  # Also what a training cut short (Ctrl-C, a kill) left behind, some 37 MB each time: this ./lab holds the
  # lock, so no other training is writing there.
  rm -f "$1/lab.aot" "$1/lab.aot.key" "$1"/lab.aot.[0-9]* "$1"/lab.aot.key.[0-9]*
  serverlab_aot_key "$2" "$3" > "$1/lab.aot.key.$$"
  # The same --enable-native-access as ./lab's own JVM: the cache records it, and a JVM started otherwise
  # would set part of the cache aside. The same poller mode, so the training runs the virtual engine as ./lab does.
  if serverlab_run "$2/bin/java" --enable-native-access=ALL-UNNAMED -Djdk.pollerMode=1 -XX:AOTCacheOutput="$1/lab.aot.$$" -cp "$3" \
      dev.serverlab.lab.launch.Training >"$1/training.log" 2>&1 && [ -s "$1/lab.aot.$$" ]; then
    mv -f "$1/lab.aot.$$" "$1/lab.aot"
  else
    echo "lab: the start-up cache could not be trained (see $1/training.log); running without it" >&2
    rm -f "$1/lab.aot.$$" "$1/lab.aot.$$.config"
  fi
  mv -f "$1/lab.aot.key.$$" "$1/lab.aot.key"
}
