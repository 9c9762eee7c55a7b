# syntax=docker/dockerfile:1
#
# opcode in a container: the self-contained binary (scripts/build.ts) on debian:bookworm-slim.
#
#   docker build -t opcode --build-arg OPCODE_BUILD_COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker run -d --name opcode -p 127.0.0.1:4100:4100 -v opcode-data:/var/lib/opcode opcode
#
# The data volume holds settings.json (with the bearer token) and the database. On the first start
# of an empty volume the entrypoint runs `opcode install --no-start`, which writes settings.json
# with a bearer token of its own: a token is never baked into the image, where every pull would
# share it. Read it with `docker exec opcode cat /var/lib/opcode/.opcode/settings.json`, or pass
# OPCODE_TOKEN. Vault key: mount it as a file and point OPCODE_VAULT_KEY_FILE at it.
# Needs BuildKit (the default since Docker 23). Multi-arch: `docker buildx build --platform
# linux/amd64,linux/arm64 …` compiles both binaries on the build machine (Bun fetches the target's
# runtime from the npm registry); the runtime stage's apt-get still runs on the target platform
# (QEMU binfmt for a foreign one, as for any image).
# See README.md, "Deployment". Written without a Docker engine at hand: the binary, the entrypoint
# script and the health check command were tested outside Docker; the image build itself was not.

# ---- build: Bun from the npm package (devDependency "bun"), as CI does -------------------------
FROM --platform=$BUILDPLATFORM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts scripts/build.ts
COPY drizzle drizzle
COPY panel panel
COPY src src
# .git is not sent to the builder (.dockerignore): pass the commit to stamp into the binary.
ARG OPCODE_BUILD_COMMIT=unknown
ARG TARGETARCH
RUN case "${TARGETARCH:-amd64}" in \
      amd64) target=linux-x64 ;; \
      arm64) target=linux-arm64 ;; \
      *) echo "unsupported architecture ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && OPCODE_BUILD_COMMIT="${OPCODE_BUILD_COMMIT}" node_modules/.bin/bun scripts/build.ts \
      --target "${target}" --outdir /out \
 && mv "/out/opcode-${target}" /out/opcode

# ---- run: the binary alone ------------------------------------------------------------------------
FROM debian:bookworm-slim
# tini reaps the orphans of shell.exec commands (opcode runs as PID 1 otherwise);
# ca-certificates for the commands shell.exec runs (opcode itself carries Bun's CA store).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/opcode --create-home \
      --shell /usr/sbin/nologin opcode
COPY --from=build /out/opcode /usr/local/bin/opcode
COPY --chmod=0755 <<'SH' /usr/local/bin/opcode-entrypoint
#!/bin/sh
# First start on an empty volume: settings.json with a fresh bearer token (kept by later starts).
set -e
if [ "${1:-serve}" = serve ] && [ ! -f "$HOME/.opcode/settings.json" ]; then
  opcode install --no-start --listen-addr "$OPCODE_LISTEN_ADDR" >&2
  echo "opcode: bearer token written to $HOME/.opcode/settings.json (auth_token)" >&2
fi
exec opcode "$@"
SH
RUN ["/usr/local/bin/opcode", "--version"]

USER opcode
WORKDIR /var/lib/opcode
ENV HOME=/var/lib/opcode \
    OPCODE_LISTEN_ADDR=0.0.0.0:4100
VOLUME ["/var/lib/opcode"]
EXPOSE 4100
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${OPCODE_LISTEN_ADDR##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q '\"status\":\"ok\"' <&3"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/opcode-entrypoint"]
CMD ["serve"]
