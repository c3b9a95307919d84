#!/usr/bin/env bash
# Set up everything cloudmap needs on this machine: a virtualenv with the package and its dev extras,
# and (when missing) Java 17 and Maven, which assemble the local Neo4j server from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
if ! ls /usr/lib/jvm/*/bin/java >/dev/null 2>&1 && ! command -v java >/dev/null 2>&1; then
  need_pkgs+=(openjdk-17-jre-headless)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need_pkgs[*]} with apt-get..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "error: cloudmap needs ${need_pkgs[*]} to run Neo4j locally: install them, or set NEO4J_URI" >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.cloudmap-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
