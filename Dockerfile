# One image for the API and the workers; docker-compose.yml picks the command.
# Stage 1 builds: every dependency, the Prisma client, the web page and the compiled service.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# Dev dependencies here only: the Prisma CLI generates the client, Vite and tsc build.
RUN npm ci --no-audit --no-fund
COPY . .
# The install above ran before web/ was copied, so the page is built here.
RUN npm run build:web && npm run build

# Stage 2 runs: production dependencies only (no tsx, no TypeScript, no Vite), and the compiled
# tree from dist/ (src/*.js, workers/*.js, package.json, prisma/migrations, web/dist).
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --ignore-scripts: the postinstall generates the Prisma client and builds the page, both already
# compiled into the tree copied below.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./
USER node
EXPOSE 3000
# node itself is PID 1's child of nothing: SIGTERM from `docker stop` reaches it directly.
CMD ["node", "--enable-source-maps", "src/server.js"]
