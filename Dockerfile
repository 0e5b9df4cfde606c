# One image for the four services (producer, event-store, projection, notification); each
# compose service picks its own with its command: node services/<name>/src/main.ts
# Node 24 runs the TypeScript sources directly (type stripping): there is no build step.

# Every workspace's package.json (npm ci needs them all to match the lock file), gathered in
# their folders, so that the dependency layer below is rebuilt only when a manifest changes.
FROM node:24-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests && cp package-lock.json /manifests/ \
 && find . -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /manifests/ \;

FROM node:24-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY packages/ packages/
COPY services/ services/

USER node
ARG SERVICE=producer
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node services/${SERVICE}/src/main.ts"]
