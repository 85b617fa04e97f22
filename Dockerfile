# Multi-stage build: compile on Debian bookworm, ship only the binary and its shared
# libraries, and run as a non-root numeric user on a read-only root filesystem (see
# deploy/base/deployment.yaml), with every capability dropped.
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        gcc make pkg-config libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev \
        libgnutls28-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make socklock

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libjansson4 libyaml-0-2 libssl3 libgnutls30 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/socklock /usr/local/bin/socklock
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/socklock"]
CMD ["serve"]
