#!/usr/bin/env bash
# Installs the Debian packages sysreview needs when they are missing.
# WeasyPrint needs Pango and HarfBuzz (subset for fast font subsetting);
# the tests also need poppler-utils (pdftotext, pdftoppm) and Chromium; `make install` needs
# python3-venv where the distribution ships it apart.
set -euo pipefail

runtime=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 shared-mime-info)
testing=(poppler-utils chromium)

wanted=("${runtime[@]}")
if [ "${SYSREVIEW_TEST_TOOLS:-0}" = "1" ]; then
  wanted+=("${testing[@]}")
fi

# `make install` builds a virtual environment; Debian and Ubuntu split venv's pip bootstrap
# (ensurepip) out of the interpreter into python3.X-venv, without which `python3 -m venv` fails.
python=${PYTHON:-python3}
if command -v "$python" >/dev/null 2>&1 && ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  wanted+=("python${version}-venv")
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-like system; install these yourself if missing: ${wanted[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]}"
if [ "$(id -u)" = "0" ]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  apt=(sudo apt-get)
else
  echo "system-deps: cannot install ${missing[*]} (needs root or passwordless sudo)." >&2
  echo "system-deps: run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
