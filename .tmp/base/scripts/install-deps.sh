#!/bin/sh
# Install what adi-profiler needs to build (and, with --test, to run its
# tests) from Debian 12's repositories. Idempotent; needs root.
set -eu
PKGS="build-essential cmake pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libbson-dev libzstd-dev libsnappy-dev libnghttp2-dev libsqlite3-dev libmimalloc-dev"
# cpack -G DEB: dpkg-shlibdeps (Depends) and file; the -dev packages above
# also ship the static archives -DADI_PORTABLE=ON links (docs/install.md)
PKGS="$PKGS dpkg-dev file"
if [ "${1:-}" = "--test" ]; then
	PKGS="$PKGS libcmocka-dev libclang-rt-14-dev python3 curl util-linux iproute2 nginx"
	# the Redis peer (the tests start private servers; attach traces one)
	PKGS="$PKGS redis-server redis-tools"
	# the web UI's browser test: Debian's chromium, driven by playwright-core
	PKGS="$PKGS chromium"
	# database peers: private instances started by the tests themselves
	PKGS="$PKGS postgresql postgresql-contrib mariadb-server mariadb-client python3-psycopg2"
	# MongoDB drivers (no server: the test answers the wire protocol itself)
	PKGS="$PKGS python3-pymongo libmongoc-dev"
	# DNS peers: a private dnsmasq serving the test's zone; dig as a client
	PKGS="$PKGS dnsmasq-base bind9-dnsutils"
	# HTTP/2 and gRPC peers: nghttpd, nghttpx (h2c upgrade), nghttp, h2load, grpcio
	PKGS="$PKGS nghttp2-server nghttp2-proxy nghttp2-client python3-grpcio python3-protobuf python3-grpc-tools"
	# the machine image ships Node.js 20; Debian's is the fallback
	command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
	# the generated zsh and fish completions are parsed (tests/ship)
	PKGS="$PKGS zsh fish"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
if [ "${1:-}" = "--test" ]; then
	# real client libraries (pg, mysql2...) from the npm registry, pinned
	# by the lock file
	here=$(cd "$(dirname "$0")/.." && pwd)
	(cd "$here/tests/integration/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
