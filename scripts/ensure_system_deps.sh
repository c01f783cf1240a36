#!/usr/bin/env bash
# Make sure the system programs the project needs are installed.
# Usage: scripts/ensure_system_deps.sh dot [neato] [chromium] [bwrap]
# Installs the missing ones with apt-get when running as root on Debian/Ubuntu;
# otherwise prints the exact command to run and fails.
set -euo pipefail

declare -A package=([dot]=graphviz [neato]=graphviz [chromium]=chromium [bwrap]=bubblewrap)
missing=()
for tool in "$@"; do
  case "$tool" in
    chromium) [ -x /usr/bin/chromium ] || missing+=("${package[$tool]}") ;;
    *) command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

# fonts-dejavu-core gives Graphviz and Chromium the glyphs for θ, μ, ∂ and Cyrillic.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" fonts-dejavu-core | sort -u)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing system packages: ${missing[*]}" >&2
echo "Install them, then run make again:" >&2
echo "  Debian/Ubuntu: sudo apt-get install -y ${missing[*]}" >&2
echo "  conda:         conda install -c conda-forge graphviz" >&2
echo "  macOS:         brew install graphviz   (Chromium: any Chromium/Chrome, set GAD_CHROMIUM=/path)" >&2
echo "  (bubblewrap isolates graded submissions; without it the grader falls back to weaker isolation and says so)" >&2
exit 1
