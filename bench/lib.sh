# Helpers shared by the benchmark scripts (sourced, not run).
# shellcheck shell=bash

now() { date +%s.%N; }
calc() { python3 -c "print($*)"; }
# A / B to two decimals, "-" when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
# Column COL (1-based) of the lines in TEXT: the median, or with max the largest.
pick_column() { # TEXT COL [max]
  printf '%s' "$1" | awk -v c="$2" 'NF { print $c }' | sort -g | awk -v how="${3:-median}" '
  { v[NR] = $1 } END { if (how == "max") print v[NR]; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# The median (s) of the hyperfine command named NAME in JSON (--export-json).
hyperfine_median() { # JSON NAME
  jq -r --arg n "$2" '.results[] | select(.command == $n) | .median' "$1"
}
# The mean CPU time (s, user + system) of the hyperfine command NAME in JSON.
hyperfine_cpu() { # JSON NAME
  jq -r --arg n "$2" '.results[] | select(.command == $n) | .user + .system' "$1"
}
# bench/supervisor/sigbench.c compiled (static) to DIR/sigbench.
build_sigbench() { # DIR
  mkdir -p "$1"
  cc -O2 -static -o "$1/sigbench" "$(dirname "${BASH_SOURCE[0]}")/supervisor/sigbench.c"
}
# DIR/xraybake.yaml for service `basename DIR`, one platform (this machine's)
# on BASE (an OCI layout), the agent KIND VERSION from URL pinned to DEB's
# sha256; SIGNING_KEY (a file) is copied beside it and named. Prints its path.
agent_descriptor() { # DIR BASE KIND VERSION URL DEB [SIGNING_KEY]
  local d=$1 name arch
  name=$(basename "$d") arch=$(dpkg --print-architecture)
  mkdir -p "$d"
  {
    cat <<YAML
apiVersion: xraybake/v1
service:
  name: $name
  base: oci:$2:latest
  platforms: [linux/$arch]
  command: [/usr/local/bin/standin-app]
  ports: [5000/tcp]
  tag: bench/$name:1.0.0
agent:
  kind: $3
  version: $4
  url: $5
  sha256: {$arch: $(sha256sum "$6" | cut -d' ' -f1)}
  region: us-east-1
  local_mode: true
YAML
    if [[ -n ${7:-} ]]; then
      cp "$7" "$d/"
      echo "  signing_key: $(basename "$7")"
    fi
  } > "$d/xraybake.yaml"
  echo "$d/xraybake.yaml"
}
