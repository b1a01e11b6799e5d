#!/bin/sh
# make bench: every benchmark script in bench/ (each prints its own figures).
set -e
cd "$(dirname "$0")"
for b in ./*.sh; do
    [ "$b" = ./run.sh ] && continue
    sh "$b"
done
