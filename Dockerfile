# One image for every service (producer, event-store, projection, notification, process-manager,
# gateway with the console); each compose service picks its own with SERVICE=<name>, and the
# command below runs services/<name>/src/main.ts with the instrumentation hook loaded first (the
# OpenTelemetry instrumentations enabled before the modules load) and V8's heap settings
# (NODE_SEMI_SPACE_MB, NODE_HEAP_GROWING_PERCENT: the native stack's variables and defaults).
# Node 24 runs the TypeScript sources directly (type stripping): there is no build step.

# Every workspace's package.json (npm ci needs them all to match the lock file), gathered in
# their folders, so that the dependency layer below is rebuilt only when a manifest changes.
FROM node:24-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests && cp package-lock.json /manifests/ \
 && find . -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /manifests/ \;

# The console's web app, bundled with the workspace's own esbuild (a dev dependency).
FROM node:24-slim AS console
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund
COPY packages/ packages/
COPY services/ services/
RUN node services/console/src/build-web.ts

FROM node:24-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY packages/ packages/
COPY services/ services/
# each service serves its part of the OpenAPI document at /openapi.json and /swagger
COPY docs/openapi.yaml docs/asyncapi.yaml docs/
COPY --from=console /src/services/console/dist/ services/console/dist/

USER node
ARG SERVICE=producer
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node --max-semi-space-size=${NODE_SEMI_SPACE_MB:-16} --heap-growing-percent=${NODE_HEAP_GROWING_PERCENT:-50} --import ./packages/platform/src/instrument.ts services/${SERVICE}/src/main.ts"]
