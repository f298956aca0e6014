# One image for both processes; the command chooses: `node scripts/start.js api`, `... worker`,
# `... migrate` (or `all`). Built from apps/ and libs/ only: no tests, bench or chaos tooling.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.image.json ./
COPY apps apps
COPY libs libs
RUN npx tsc -p tsconfig.image.json && npm prune --omit=dev --no-audit --no-fund

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production \
    FR_HEARTBEAT_FILE=/tmp/fr-worker-heartbeat
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json tsconfig.json ./
COPY scripts/start.js scripts/register-paths.js scripts/healthcheck.js scripts/
COPY config config
# The audit checkpoint belongs outside the database: mount a volume here (see docker-compose.yml).
RUN mkdir -p /app/var/checkpoints && chown node:node /app/var/checkpoints
USER node
EXPOSE 3000
# The API answers /health; a worker refreshes its heartbeat file (scripts/healthcheck.js).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.js"]
CMD ["node", "scripts/start.js", "api"]
