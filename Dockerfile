# One image for both IronLB binaries: node dist/controller/main.js | node dist/speaker/main.js
FROM node:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpcap-dev python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Without the assert in npm cap, a link losing carrier stops the socket instead of aborting.
RUN CXXFLAGS=-DNDEBUG npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY controller controller
COPY speaker speaker
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpcap0.8 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER 65534:65534
EXPOSE 7472
CMD ["node", "dist/controller/main.js"]
