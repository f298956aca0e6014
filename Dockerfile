# One image for both processes: `node scripts/start.js api` or `... worker` (or `all`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json tsconfig.json ./
COPY scripts scripts
COPY config config
# The audit checkpoint belongs outside the database: mount a volume here (see docker-compose.yml).
RUN mkdir -p /app/var/checkpoints && chown node:node /app/var/checkpoints
USER node
EXPOSE 3000
CMD ["node", "scripts/start.js", "all"]
