#!/usr/bin/env bash
# Installs the load tools `make bench` needs (wrk, ab from apache2-utils) from
# Debian when they are missing. Best effort: says what to do when it cannot.
set -u
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo -n); else
    echo "bench: ${missing[*]} missing and no root: run 'apt-get install wrk apache2-utils' as root" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: ${missing[*]} missing and no apt-get: install wrk and ab (apache2-utils) by hand" >&2
    exit 1
fi
echo "bench: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
# try the existing package lists first; refresh them once if that fails
if ! timeout 300 "${as_root[@]}" apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
    timeout 300 "${as_root[@]}" apt-get update -q >/dev/null 2>&1
    if ! timeout 300 "${as_root[@]}" apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
        echo "bench: apt-get could not install ${missing[*]}: install wrk and apache2-utils by hand" >&2
        exit 1
    fi
fi
