# syntax=docker/dockerfile:1
# WorkWell Gateway: TypeScript run by Node 24's built-in type stripping, so there is no build
# output to copy; the first stage only resolves production dependencies.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the `node` devDependency (Node 24 for older machines) is not needed here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=8080 \
    WORKWELL_DATA_DIR=/var/lib/workwell \
    NODE_COMPILE_CACHE=/app/.node-compile-cache
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY bin ./bin
COPY profiles ./profiles
COPY mappings ./mappings
# the default BaRS endpoint catalogue (WORKWELL_BARS_ENDPOINTS); a deployment mounts its own
COPY fixtures/bars/endpoint-catalogue.json ./fixtures/bars/endpoint-catalogue.json
# Every module compiled once now, with CMD's node flags, into NODE_COMPILE_CACHE (Node writes its
# entries readable by their owner only, hence the chown), so that each start of the container is
# a warm one and loads no type stripper (bin/start.js)
RUN node --max-semi-space-size=16 --heap-growing-percent=50 bin/warm-compile-cache.js \
    && chown -R node:node "$NODE_COMPILE_CACHE"
RUN mkdir -p /var/lib/workwell && chown node:node /var/lib/workwell
# The image's built-in unprivileged user.
USER node
VOLUME ["/var/lib/workwell"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# the same node flags as npm start, and MALLOC_ARENA_MAX above as its environment
# (docs/performance.md: the heap's young generation and growth, glibc's malloc arenas)
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=50", "bin/start.js"]
