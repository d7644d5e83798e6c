# One image for every Tollgate component; docker-compose picks the component by command.
# Two stages: the build compiles TypeScript to JavaScript (dist/), builds the console and prebuilds the
# workflow bundle with the dev dependencies; the runtime stage has production dependencies only and
# runs plain node — no tsx, no TypeScript, no bundling at start (`npm run build`, docs/configuration.md).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The compiled components, the console (dist/console/dist) and the workflow bundle (dist/workflow-bundle.js).
COPY --from=build /app/dist ./dist
USER node
# node itself (not npx, which swallows SIGTERM) so a stop drains in-flight work
ENTRYPOINT ["node", "dist/deploy/run.js"]
