#!/bin/sh
# release.sh builds bulk for every supported platform into dist/ (or $DIST) with a SHA256SUMS
# file. The same commit builds the same bytes: -trimpath drops this machine's paths, no build time
# is stamped, cgo is off, and GOFLAGS from the environment is ignored so nothing outside the
# repository changes the build.
#
#   scripts/release.sh                      # all platforms
#   scripts/release.sh linux/amd64          # only these
#   VERSION=v1.2.3 scripts/release.sh       # override the version git describe gives
#   PGO=off scripts/release.sh              # skip the profile (faster, different bytes)
set -eu
cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
VERSION=${VERSION:-$(git describe --tags --always --dirty)}
COMMIT=${COMMIT:-$(git rev-parse HEAD)}
PGO=${PGO:-auto}
PLATFORMS=${*:-"windows/amd64 windows/arm64 darwin/arm64 darwin/amd64 linux/amd64 linux/arm64"}
PKG=github.com/bulkload/bulk/internal/version
export CGO_ENABLED=0 GOFLAGS=
mkdir -p "$DIST"
: > "$DIST/SHA256SUMS.tmp"
for p in $PLATFORMS; do
	os=${p%/*} arch=${p#*/}
	ext=; [ "$os" = windows ] && ext=.exe
	out=bulk-$VERSION-$os-$arch$ext
	echo "building $out" >&2
	GOOS=$os GOARCH=$arch go build -trimpath -pgo="$PGO" -buildvcs=false \
		-ldflags "-s -w -buildid= -X $PKG.Version=$VERSION -X $PKG.Commit=$COMMIT" \
		-o "$DIST/$out" ./cmd/bulk
	(cd "$DIST" && sha256sum "$out") >> "$DIST/SHA256SUMS.tmp"
done
mv "$DIST/SHA256SUMS.tmp" "$DIST/SHA256SUMS"
cat "$DIST/SHA256SUMS"
