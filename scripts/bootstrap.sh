#!/usr/bin/env bash
# Prepare this machine for `make run` (MODE=run) or `make test` (MODE=test).
# Idempotent and silent when everything is already in place:
#   1. Debian packages, installed only when missing (needs root);
#   2. the virtualenv in .venv;
#   3. the pinned Python requirements, reinstalled only when the files change;
#   4. the var/ directory.
# Never runs `playwright install`: browser tests drive Debian's /usr/bin/chromium.
set -euo pipefail

cd "$(dirname "$0")/.."

MODE="${1:-}"
case "$MODE" in
  run)  REQ_FILES=(requirements.txt) ;;
  test) REQ_FILES=(requirements.txt requirements-test.txt) ;;
  *)    echo "usage: $0 run|test" >&2; exit 2 ;;
esac

say() { echo "bootstrap: $*"; }

# --- 1. Debian packages ------------------------------------------------------
pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

wanted=()
# A fresh Debian python3 lacks ensurepip (and so cannot create a venv) until
# python3-venv is installed; a self-built python (pyenv) has both already.
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  wanted+=(python3-venv)
fi
wanted+=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)  # CJK glyphs, font subsetting and text layout for PDFs (WeasyPrint)
if [[ "$MODE" == test ]]; then
  wanted+=(chromium postgresql poppler-utils)   # browser tests, PostgreSQL run, PDF text checks
fi

missing=()
for pkg in "${wanted[@]}"; do
  pkg_installed "$pkg" || missing+=("$pkg")
done

if (( ${#missing[@]} )); then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: install them as root, then run this again:" >&2
    echo "    sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "installing Debian packages: ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- 2. virtualenv ------------------------------------------------------------
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  if ! python3 -m venv .venv; then
    rm -rf .venv   # never leave a half-made venv that would look ready next time
    echo "bootstrap: could not create .venv with python3 -m venv" >&2
    exit 1
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
fi

# --- 3. Python requirements ---------------------------------------------------
stamp=".venv/.stamp-$MODE"
want_hash="$(cat "${REQ_FILES[@]}" | sha256sum | cut -d' ' -f1)"
have_hash="$(cat "$stamp" 2>/dev/null || true)"
if [[ "$want_hash" != "$have_hash" ]]; then
  req="${REQ_FILES[${#REQ_FILES[@]}-1]}"   # requirements-test.txt includes requirements.txt
  say "installing Python packages from $req"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want_hash" > "$stamp"
fi

# --- 4. runtime directory -----------------------------------------------------
mkdir -p var
