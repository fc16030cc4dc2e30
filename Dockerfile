# winnow's container image: one static binary (CGO_ENABLED=0) in an otherwise empty image,
# running as an unprivileged user, its SQLite database in the /data volume.
#
#   docker build -t winnow .
#   docker run -d --name winnow -p 127.0.0.1:8080:8080 -v winnow-data:/data \
#       -e WINNOW_PUBLIC_URL=https://comments.example winnow
#   docker logs winnow          # the first admin token and the setup link are printed once
#
# Build arguments: GO_IMAGE (the build stage's image, any with Go 1.26 and a shell),
# BUILD_DATE (stamped into `winnow version`; now by default).
# The commit comes from the build context's .git when there is one (see .dockerignore).
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
# Modules first, so that a change of code reuses the downloaded ones.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG BUILD_DATE=
RUN date=${BUILD_DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}; \
    flags="-s -w -X main.buildDate=$date"; \
    go build -buildvcs=auto -ldflags "$flags" -o /out/winnow ./cmd/winnow \
    || { echo "no usable .git in the build context: building without the commit"; \
         go build -buildvcs=false -ldflags "$flags" -o /out/winnow ./cmd/winnow; }
# The final image has no shell: everything it needs is laid out here. /data belongs to
# the user winnow runs as (65532, "nonroot" by convention), so that a new named volume
# does too; /etc/passwd names that user for tools that look.
RUN mkdir -p /out/rootfs/etc/ssl/certs /out/rootfs/data && \
    cp /etc/ssl/certs/ca-certificates.crt /out/rootfs/etc/ssl/certs/ && \
    echo 'winnow:x:65532:65532:winnow:/data:/winnow' > /out/rootfs/etc/passwd && \
    echo 'winnow:x:65532:' > /out/rootfs/etc/group && \
    /out/winnow version

FROM scratch
COPY --from=build /out/rootfs/etc/ /etc/
COPY --from=build --chown=65532:65532 /out/rootfs/data /data
COPY --from=build /out/winnow /winnow
USER 65532:65532
# TMPDIR: SQLite's temporary files (large sorts) need a writable directory, and the
# volume is the only one.
ENV WINNOW_ADDR=0.0.0.0:8080 \
    WINNOW_DATA_DIR=/data \
    TMPDIR=/data
VOLUME /data
EXPOSE 8080
# No curl in an empty image: the binary asks its own /healthz (`winnow healthcheck
# --ready` asks /readyz, which also checks the database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/winnow", "healthcheck"]
ENTRYPOINT ["/winnow"]
CMD ["serve"]
