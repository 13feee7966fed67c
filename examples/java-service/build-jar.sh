#!/usr/bin/env bash
# Builds app/ledger-service.jar (what xraybake.yaml's service.files puts in the
# image) from src/ with a JDK 17 or newer: javac --release 17, then jar.
#
#   ./build-jar.sh [OUT_JAR]      (default: app/ledger-service.jar beside this file)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/app/ledger-service.jar}
classes=$(mktemp -d)
trap 'rm -rf "$classes"' EXIT
# -XDignore.symbol.file: sun.misc.Signal (jdk.unsupported) is meant to be used.
"${JAVA_HOME:+$JAVA_HOME/bin/}javac" --release 17 -nowarn -XDignore.symbol.file -d "$classes" "$here"/src/com/example/ledger/*.java
mkdir -p "$(dirname "$out")"
"${JAVA_HOME:+$JAVA_HOME/bin/}jar" --create --file "$out.tmp" --main-class com.example.ledger.LedgerService --date 2023-11-14T22:13:20Z \
  -C "$classes" .
mv "$out.tmp" "$out"
