# Shared by the project's scripts: logging, the repository root, package installs.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the Debian packages that are missing; runs `apt-get update` only if needed.
# Services that packages would start (dockerd, nginx) are kept from starting: the
# project runs what it needs itself.
ensure_debian_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local guard=/usr/sbin/policy-rc.d created_guard=0
  if [ ! -e "$guard" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$guard" && chmod +x "$guard" && created_guard=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created_guard" = 1 ] && rm -f "$guard"
  return 0
}

# The cargo target directory the scripts build into.
target_dir() {
  local dir=${CARGO_TARGET_DIR:-$REPO_ROOT/target}
  case "$dir" in /*) ;; *) dir=$REPO_ROOT/$dir ;; esac
  printf '%s\n' "$dir"
}
