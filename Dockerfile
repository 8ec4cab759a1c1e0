# Container image of pushgateway-deno, built from a release tarball (the
# binary is compiled by `deno task release` on a machine that can reach
# dl.deno.land, not inside Docker):
#
#   deno task release --target linux-amd64
#   docker build --build-arg VERSION=0.1.0 --build-arg ARCH=amd64 -t pushgateway-deno .
#
# Then, instead of upstream's `docker run -d -p 9091:9091 prom/pushgateway`:
#
#   docker run -d -p 9091:9091 -v pushgateway-data:/pushgateway pushgateway-deno
#
# ARCH is amd64 or arm64 (build linux-arm64 for the latter). Arguments given
# to `docker run` replace CMD, so pass --persistence.file again when adding
# flags. The process runs as 65534 (nobody), like upstream's image, so a volume
# that upstream's image wrote (its 0600 persistence file included) is readable:
# mount it and point --persistence.file at the file, e.g.
#
#   docker run -d -p 9091:9091 -v old-volume:/data pushgateway-deno \
#     --persistence.file=/data/pushgateway.data

ARG VERSION=0.1.0
ARG ARCH=amd64

# Stage 1: unpack the tarball (ADD extracts local tar archives).
FROM debian:12-slim AS unpack
ARG VERSION
ARG ARCH
ADD dist/pushgateway-${VERSION}.linux-${ARCH}.tar.gz /unpack/
RUN install -D -m 0755 /unpack/pushgateway-${VERSION}.linux-${ARCH}/pushgateway /out/bin/pushgateway \
 && install -D -m 0644 /unpack/pushgateway-${VERSION}.linux-${ARCH}/LICENSE /out/LICENSE \
 && install -D -m 0644 /unpack/pushgateway-${VERSION}.linux-${ARCH}/NOTICE /out/NOTICE \
 && install -d -m 0750 /out/pushgateway

# Stage 2: glibc and libgcc only (what the Deno runtime links), no shell,
# running as nobody (65534) as upstream's image does.
FROM gcr.io/distroless/cc-debian12
COPY --from=unpack /out/bin/pushgateway /bin/pushgateway
COPY --from=unpack /out/LICENSE /out/NOTICE /usr/share/doc/pushgateway/
COPY --from=unpack --chown=65534:65534 /out/pushgateway /pushgateway
USER 65534:65534
WORKDIR /pushgateway
VOLUME ["/pushgateway"]
EXPOSE 9091
ENTRYPOINT ["/bin/pushgateway"]
CMD ["--persistence.file=/pushgateway/pushgateway.data"]
