# One image for every Tollgate component; docker-compose picks the component by command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV HOST=0.0.0.0 NODE_ENV=production
USER node
# node itself (not npx, which swallows SIGTERM) so a stop drains in-flight work
ENTRYPOINT ["node", "--import", "tsx", "deploy/run.ts"]
