# syntax=docker/dockerfile:1
# leakwatch container: docker build -t leakwatch .
#   docker run -d --name leakwatch \
#     -v /srv/leakwatch/leakwatch.yaml:/etc/leakwatch/leakwatch.yaml:ro \
#     -v leakwatch-data:/var/lib/leakwatch \
#     -e SLACK_WEBHOOK_URL=... leakwatch
# The config's `database:` should stay under /var/lib/leakwatch (the volume); `http.listen:
# 127.0.0.1:9470` is enough for the HEALTHCHECK, which runs inside the container.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: dev dependencies, tsc, and the native better-sqlite3 module ----
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when one matches; these build it when none does.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the build, and the sources are not here yet. The only install
# script that matters is better-sqlite3's, so it is run explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: production dependencies only, same base image (same Node ABI and glibc) ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    LEAKWATCH_CONFIG=/etc/leakwatch/leakwatch.yaml
RUN groupadd --system --gid 10001 leakwatch \
 && useradd --system --uid 10001 --gid leakwatch --home-dir /var/lib/leakwatch --shell /usr/sbin/nologin leakwatch \
 && mkdir -p /var/lib/leakwatch /etc/leakwatch \
 && chown leakwatch:leakwatch /var/lib/leakwatch \
 && chmod 0700 /var/lib/leakwatch
WORKDIR /opt/leakwatch
# node_modules comes from the build stage after `npm prune`, so the compiled better-sqlite3 comes
# with it and the runtime image needs no compiler and no install scripts.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/migrations ./migrations
COPY --from=build /src/config ./config
RUN chmod 0755 /opt/leakwatch/dist/cli/main.js \
 && ln -s /opt/leakwatch/dist/cli/main.js /usr/local/bin/leakwatch
USER leakwatch:leakwatch
VOLUME ["/var/lib/leakwatch"]
EXPOSE 9470
# Probes /healthz inside the container; sends the bearer token when LEAKWATCH_TOKEN is set (the
# config would then say `token: "${LEAKWATCH_TOKEN}"`). LEAKWATCH_HEALTH_URL overrides the address.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const t=process.env.LEAKWATCH_TOKEN;fetch(process.env.LEAKWATCH_HEALTH_URL||'http://127.0.0.1:9470/healthz',{headers:t?{authorization:'Bearer '+t}:{},signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# The executable itself, not `node main.js`: its #! line carries the malloc setting (`run` sets V8's).
ENTRYPOINT ["/usr/local/bin/leakwatch"]
CMD ["run", "--config", "/etc/leakwatch/leakwatch.yaml"]
