# One image for the API and the workers; docker-compose.yml picks the command.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# Dev dependencies too: the Prisma CLI generates the client at install time.
RUN npm ci --no-audit --no-fund
COPY . .
# The web page: the install above ran before web/ was copied, so it is built here.
RUN npm run build:web
ENV NODE_ENV=production
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/server.ts"]
