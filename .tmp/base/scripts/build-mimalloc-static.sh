#!/bin/sh
# build-mimalloc-static.sh DIR - mimalloc as one object file, DIR/mimalloc.o,
# for the portable binary (-DADI_PORTABLE=ON -DADI_MIMALLOC_STATIC=DIR/mimalloc.o;
# docs/install.md). Debian ships mimalloc only as a shared library, so this
# builds the version of the installed libmimalloc-dev (whose mimalloc.h the
# program compiles against) from Debian's source package, with mimalloc's own
# CMake and Debian's options, as the object file mimalloc's build can make.
# The source comes through apt with a private list of deb-src entries (DIR/apt):
# the machine's apt set-up is left as it is. Prints the object's path; does
# nothing when it is already there. Needs apt, dpkg-source, cmake and a C
# compiler (scripts/install-deps.sh), and Debian's mirror.
set -eu
dir=${1:?usage: build-mimalloc-static.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/mimalloc.o" ]; then
	echo "$dir/mimalloc.o"
	exit 0
fi
ver=$(dpkg-query -W -f='${source:Version}' libmimalloc-dev)
apt=$dir/apt
rm -rf "$apt" "$dir/src" "$dir/build"
mkdir -p "$apt/lists/partial" "$apt/parts" "$dir/src"

# the deb-src twins of the machine's Debian entries (deb822, else one-line)
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
		>"$apt/parts/debian-src.sources"
else
	grep -h '^deb .*debian' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
		>"$apt/parts/debian-src.list"
fi
aptq() {
	apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts" \
		-o Dir::State::Lists="$apt/lists" -o APT::Sandbox::User=root "$@"
}
aptq update >&2
# apt checks the files against the signed Sources index it just fetched
(cd "$dir/src" && aptq source --download-only "mimalloc=$ver" >&2)
dpkg-source -x "$dir"/src/mimalloc_*.dsc "$dir/src/mimalloc" >&2

# debian/rules' options, but the object instead of the shared library
cmake -S "$dir/src/mimalloc" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DMI_BUILD_SHARED=OFF -DMI_BUILD_STATIC=OFF -DMI_BUILD_OBJECT=ON \
	-DMI_BUILD_TESTS=OFF >&2
cmake --build "$dir/build" --target mimalloc-obj >&2
cp "$dir/build/CMakeFiles/mimalloc-obj.dir/src/static.c.o" "$dir/mimalloc.o"
echo "$dir/mimalloc.o"
