# bulk in a container: a static binary on distroless, run as a non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#                --build-arg COMMIT=$(git rev-parse HEAD) -t bulk:latest .
#   docker run --rm -v "$PWD:/work" bulk:latest validate learners.csv
#
# The binary is built by scripts/release.sh, so it is the same bytes as the release's
# linux/<arch> file for the same commit, VERSION and COMMIT. See deploy/README.md.

FROM golang:1.26 AS build
ARG VERSION=dev
ARG COMMIT=unknown
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN VERSION="$VERSION" COMMIT="$COMMIT" DIST=/out scripts/release.sh "$TARGETOS/$TARGETARCH" \
 && mv /out/bulk-* /out/bulk \
 && mkdir -p /state/bulk /work

FROM gcr.io/distroless/static-debian12:nonroot
# State (run ledger, nightly state, locks, target profiles) under /var/lib/bulk: mount a volume
# there so it outlives the container. XDG_STATE_HOME/bulk is where bulk looks by default.
ENV XDG_STATE_HOME=/var/lib
COPY --from=build --chown=65532:65532 /state/bulk /var/lib/bulk
COPY --from=build --chown=65532:65532 /work /work
COPY --from=build /out/bulk /usr/local/bin/bulk
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/bulk"]
CMD ["--help"]
