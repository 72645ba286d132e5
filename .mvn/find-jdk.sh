# Finds a JDK >= 21 for the build and for ./lab, in this order: JAVA_HOME, the java on the PATH,
# then the newest JDK in the system's JVM folder (/usr/lib/jvm, or /Library/Java/JavaVirtualMachines; or the
# folders listed in SERVERLAB_JDK_DIRS, separated by spaces, e.g. "$HOME/.sdkman/candidates/java").
# Sourced by ./mvnw and ./lab. On success it sets SERVERLAB_JAVA_HOME and returns 0; otherwise it
# prints what to install and returns 1. POSIX sh: mvnw runs under `set -euf`.

SERVERLAB_MIN_JAVA=21

# The feature version of the JDK at $1 (a JAVA_HOME), or 0.
serverlab_jdk_version() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || { echo 0; return; }
  _v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  case "$_v" in
    1.*) _v=${_v#1.}; echo "${_v%%.*}" ;;
    "") echo 0 ;;
    *) _v=${_v%%[.+-]*}; echo "${_v:-0}" ;;
  esac
}

serverlab_find_jdk() {
  SERVERLAB_JAVA_HOME=
  if [ -n "${JAVA_HOME-}" ] && [ "$(serverlab_jdk_version "$JAVA_HOME")" -ge "$SERVERLAB_MIN_JAVA" ]; then
    SERVERLAB_JAVA_HOME=$JAVA_HOME
    return 0
  fi
  _java=$(command -v java 2>/dev/null || true)
  if [ -n "$_java" ]; then
    _home=$(dirname "$(dirname "$(readlink -f "$_java" 2>/dev/null || echo "$_java")")")
    if [ "$(serverlab_jdk_version "$_home")" -ge "$SERVERLAB_MIN_JAVA" ]; then
      SERVERLAB_JAVA_HOME=$_home
      return 0
    fi
  fi
  _best= _best_version=0
  _restore_f=false
  case $- in *f*) set +f; _restore_f=true ;; esac
  for _dir in ${SERVERLAB_JDK_DIRS:-/usr/lib/jvm /Library/Java/JavaVirtualMachines}; do
    for _home in "$_dir"/* "$_dir"/*/Contents/Home; do
      [ -d "$_home" ] || continue
      _version=$(serverlab_jdk_version "$_home")
      if [ "$_version" -ge "$SERVERLAB_MIN_JAVA" ] && [ "$_version" -gt "$_best_version" ]; then
        _best=$_home _best_version=$_version
      fi
    done
  done
  if $_restore_f; then set -f; fi
  if [ -n "$_best" ]; then
    SERVERLAB_JAVA_HOME=$_best
    return 0
  fi
  echo "serverlab needs a JDK $SERVERLAB_MIN_JAVA or newer, and found none (JAVA_HOME, java on the PATH, ${SERVERLAB_JDK_DIRS:-/usr/lib/jvm})." >&2
  echo "Install one, for example: sudo apt-get install openjdk-21-jdk   (or any JDK >= 21), or set JAVA_HOME to it." >&2
  return 1
}
