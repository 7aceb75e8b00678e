# The service image: Node 24, production dependencies only (the embedded
# PostgreSQL is optional and not needed here: docker-compose gives a server).
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund
COPY tsconfig.json .gmrc ./
COPY migrations ./migrations
COPY sql ./sql
COPY src ./src
COPY public ./public
USER node
EXPOSE 3000
CMD ["node", "src/start.mjs"]
