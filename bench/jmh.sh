#!/bin/sh
# bench/jmh.sh: JMH benchmarks of the shared HTTP/1.1 codec, parser and response writer (engine-api's test sources, never in a main jar).
#   bench/jmh.sh                    requests per second and bytes allocated per request (-prof gc), parse alone and parse + encode (helloExchange)
#   bench/jmh.sh -f 1 -i 3 typical  any JMH options and benchmark patterns; `bench/jmh.sh -h` lists them
#   bench/jmh.sh -f 1 -prof gc      options and no pattern: every benchmark (BENCH_JMH=1 bench/run.sh runs them so)
# Builds engine-api's test classes through ./mvnw, then runs org.openjdk.jmh.Main on the test class path.
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
. "$ROOT/.mvn/find-jdk.sh"
serverlab_find_jdk || exit 1
CP_FILE="$ROOT/engine-api/target/jmh.classpath"
echo "jmh: building engine-api's test classes..." >&2
JAVA_HOME="$SERVERLAB_JAVA_HOME" "$ROOT/mvnw" -q -B -f "$ROOT/pom.xml" -pl engine-api -am test-compile \
  dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >&2
CP="$ROOT/engine-api/target/test-classes:$ROOT/engine-api/target/classes:$(cat "$CP_FILE")"
if [ $# -eq 0 ]; then
  set -- -prof gc RequestParserBenchmark
fi
exec "$SERVERLAB_JAVA_HOME/bin/java" -cp "$CP" org.openjdk.jmh.Main "$@"
