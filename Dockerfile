# One image for every Signalbox process: `signalbox run <service>` (any of them), `signalbox up`, `init`,
# or any other command. Node 24, the workspace's production dependencies only, run as a non-root user.
#
#   docker build -t signalbox:0.1.0 .
#   docker run --rm -e NATS_URL=nats://nats:4222 signalbox:0.1.0 run session-actor
#
# NODE_IMAGE is any Node 24 image with npm on Debian; test/deploy/image.test.ts builds this file against
# one it makes from Debian's packages and Node from the npm registry (scripts/node-base-image.sh).
ARG NODE_IMAGE=node:24-bookworm-slim

# Installs with pnpm, as the checkout pins it; the workspace's manifests first, so a change of source
# alone reuses the installed dependencies.
FROM ${NODE_IMAGE} AS manifests
RUN npm install --global --no-audit --no-fund --loglevel=error pnpm@10.34.9
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches/ patches/
COPY packages/cli/package.json packages/cli/
COPY packages/client/package.json packages/client/
COPY packages/evals/package.json packages/evals/
COPY packages/events/package.json packages/events/
COPY packages/models/package.json packages/models/
COPY packages/policy/package.json packages/policy/
COPY packages/runtime/package.json packages/runtime/
COPY packages/session/package.json packages/session/
COPY packages/store/package.json packages/store/
COPY packages/supervision/package.json packages/supervision/
COPY packages/testing/package.json packages/testing/
COPY services/gateway/package.json services/gateway/
COPY services/gateway/console/package.json services/gateway/console/
COPY services/grader/package.json services/grader/
COPY services/memory-consolidator/package.json services/memory-consolidator/
COPY services/permission-broker/package.json services/permission-broker/
COPY services/retention-sweeper/package.json services/retention-sweeper/
COPY services/session-actor/package.json services/session-actor/
COPY services/supervisor/package.json services/supervisor/
COPY services/tool-executor/package.json services/tool-executor/

# The web console's static files: built with its development dependencies, which go no further.
FROM manifests AS console
RUN pnpm install --frozen-lockfile --filter '@signalbox/console...' --reporter=silent
COPY tsconfig.json ./
COPY services/gateway/console/ services/gateway/console/
RUN pnpm --filter @signalbox/console build

# The CLI and every package it runs, with their production dependencies and nothing else.
FROM manifests AS production
RUN pnpm install --frozen-lockfile --prod --filter '@signalbox/cli...' --reporter=silent

FROM ${NODE_IMAGE}
# A user of its own, without a login or a home of its own: the processes write nothing but /tmp.
RUN echo 'signalbox:x:10001:10001:signalbox:/tmp:/usr/sbin/nologin' >>/etc/passwd && echo 'signalbox:x:10001:' >>/etc/group
WORKDIR /app
ENV NODE_ENV=production
COPY --from=production /app/ ./
COPY bin/ bin/
COPY packages/ packages/
COPY services/ services/
COPY --from=console /app/services/gateway/console/dist/ services/gateway/console/dist/
USER 10001:10001
ENTRYPOINT ["node", "/app/packages/cli/src/main.ts"]
CMD ["up"]
