# syntax=docker/dockerfile:1
# The Apollo Federation gateway of distributed mode (federation/gateway.mjs): the Python gateway
# (port 4000) forwards /graphql to it; it composes the services' subgraphs. Build from the root:
#   docker build -f deploy/federation.Dockerfile -t vextrus-federation:local .

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- dependencies: exactly the lock file's, without dev dependencies -------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY federation/package.json federation/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime: node, the modules and the two scripts, as the image's unprivileged `node` user ---
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="vextrus-federation" \
      org.opencontainers.image.description="Apollo Federation gateway over the Vextrus subgraphs"
ENV NODE_ENV=production \
    VEXTRUS_FEDERATION_HOST=0.0.0.0 \
    VEXTRUS_FEDERATION_PORT=4001
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY federation/package.json federation/gateway.mjs federation/compose.mjs ./
USER 1000:1000
EXPOSE 4001
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:4001/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "gateway.mjs"]
