# One image for both IronLB binaries: node FLAGS dist/controller/main.js | node FLAGS dist/speaker/main.js
# (FLAGS: --max-semi-space-size=1 --optimize-for-size --expose-gc, as in the chart; docs/benchmarks.md)
# (the default target), and `--target frr`: FRR from Debian packages, the speaker pod's second
# container in BGP mode (charts/ironlb: speaker.frr).
FROM node:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpcap-dev python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Our addons (file: dependencies, built by node-gyp during npm ci): AF_PACKET (links libpcap), malloc_trim.
COPY native native
# Without the assert in npm cap, a link losing carrier stops the socket instead of aborting.
RUN CXXFLAGS=-DNDEBUG npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY controller controller
COPY speaker speaker
RUN npm run build && npm prune --omit=dev

FROM debian:bookworm-slim AS frr
# bgpd, bfdd, staticd and zebra (watchfrr restarts them); vtysh for the liveness probe
RUN apt-get update && apt-get install -y --no-install-recommends frr frr-pythontools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /usr/share/ironlb-frr \
    && sed -e 's/^bgpd=no/bgpd=yes/' -e 's/^bfdd=no/bfdd=yes/' -e 's/^staticd=no/staticd=yes/' \
       /etc/frr/daemons >/usr/share/ironlb-frr/daemons \
    && printf 'service integrated-vtysh-config\n' >/usr/share/ironlb-frr/vtysh.conf
COPY docker/frr-start.sh /usr/local/bin/frr-start
CMD ["/usr/local/bin/frr-start"]

FROM node:20-bookworm-slim
# frr-pythontools (with frr's vtysh): the speaker applies FRR's configuration with frr-reload.py
# and reads sessions with vtysh; FRR's daemons themselves run in the `frr` image.
RUN apt-get update && apt-get install -y --no-install-recommends libpcap0.8 frr frr-pythontools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules node_modules
# node_modules/@ironlb/* link to these: sources and the built addons.
COPY --from=build /app/native native
COPY --from=build /app/dist dist
COPY package.json ./
# Two glibc malloc arenas instead of 8 per core: less freed memory kept per thread (docs/benchmarks.md).
ENV MALLOC_ARENA_MAX=2
USER 65534:65534
EXPOSE 7472
CMD ["node", "--max-semi-space-size=1", "--optimize-for-size", "--expose-gc", "dist/controller/main.js"]
