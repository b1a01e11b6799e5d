#!/bin/sh
# Install the Debian packages meshsim builds and tests with, when they are missing.
set -e
PKGS="gcc make pkg-config libyaml-dev libjansson-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
libnghttp2-dev libreadline-dev libcmocka-dev bats mandoc tmux openssl curl"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
