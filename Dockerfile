# syntax=docker/dockerfile:1
# Rollgate as a container image (docs/deploy.md): `docker build -t rollgate .`
# The server is `npm start` (scripts/start.ts): it migrates, prepares the rollgate_app role and serves
# on PORT. Without DATABASE_URL it runs the embedded PostgreSQL under /data, which must then be a volume.

FROM node:20-slim AS build
WORKDIR /app
# Dependencies first, so that a change to the sources does not reinstall them. postinstall generates
# the Prisma client from prisma/schema.prisma (scripts/prisma-generate.ts), so both come along.
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY scripts/prisma-generate.ts ./scripts/
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production \
    ROLLGATE_SKIP_BUILD=1 \
    ROLLGATE_DATA_DIR=/data \
    ROLLGATE_LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# The application stays root-owned and read-only for the server; it writes only to /data (the audit
# anchor export, and the embedded PostgreSQL when there is no DATABASE_URL) and to Next's cache.
COPY --from=build /app /app
RUN mkdir -p /data /app/.next/cache && chown node:node /data /app/.next/cache
# PostgreSQL refuses to run as root, and nothing here needs it: the image's own unprivileged user.
USER node
EXPOSE 3000
VOLUME ["/data"]
# Liveness only (README, Operating it): /readyz would restart every instance during a database outage.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["npm", "start"]
