# The image is the program and nothing else. The first stage compiles on Debian bookworm
# and collects the binary with exactly the shared libraries it loads (`make rootfs`); the
# image is that folder on an empty base: no shell, no package manager, no TLS packages
# beyond the libraries socklock links. It runs as the numeric user 10001:10001 and needs
# nothing writable, so the pod can run it with a read-only root filesystem and every
# capability dropped (deploy/base/deployment.yaml). tests/cli/rootfs_chroot.sh runs the
# same folder that way without a container engine.
#
#   docker build -t socklock:0.1.0 .
#
# The build context is only what compiling needs (.dockerignore): never build/, certificates
# or keys, nor .git.
FROM debian:bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev binutils make pkg-config \
        libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev libgnutls28-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" rootfs

FROM scratch
COPY --from=build /src/build/rootfs/ /
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/socklock"]
CMD ["serve"]
