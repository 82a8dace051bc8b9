# syntax=docker/dockerfile:1

# Build on Debian bookworm, the same release as the runtime stage, so the binary links
# against the glibc it runs with. The plain rust:1.95-slim tag follows the newest Debian
# release, whose glibc is newer than bookworm's.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep downloaded crates and compiled dependencies between builds. The
# target directory is a cache mount, so the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/naftiko-rs /usr/local/bin/naftiko-rs

FROM debian:bookworm-slim
# The upstream client verifies TLS against the system certificate store.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 naftiko \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin naftiko
COPY --from=build /usr/local/bin/naftiko-rs /usr/local/bin/naftiko-rs
USER 10001:10001
# REST adapter, MCP adapter, health checks.
EXPOSE 8080 9090 8081
ENTRYPOINT ["naftiko-rs"]
CMD ["serve", "--address", "0.0.0.0", "--health", "0.0.0.0:8081"]
