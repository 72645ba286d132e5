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

# One build at a time: a second ./lab waits here until the first is done. The lock is a directory (atomic
# on every file system) holding its owner's pid; a lock whose owner died is taken over.
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
}

serverlab_lab_unlock() {
  rm -rf "$1/.lab/build.lock"
}
