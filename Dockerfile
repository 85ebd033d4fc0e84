# syntax=docker/dockerfile:1
# Gatherarr: the bundled daemon (a launcher, one bundle and its code cache) on a Node base image,
# run as a non-root user.
# The base image is a build argument so offline CI can substitute a local one.
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY test/support ./test/support
# The build's warm-up run writes V8's code cache for this image's Node (see src/launch.ts).
RUN npm run build && mkdir -p /out/app /out/data \
 && cp dist/main.js dist/gatherarr.cjs dist/gatherarr.cache /out/app/ \
 && echo '{"type":"module"}' > /out/app/package.json

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="gatherarr" \
      org.opencontainers.image.description="Triggers Radarr movie and Sonarr season searches within strict limits; Prometheus metrics, JSON logs." \
      org.opencontainers.image.source="https://github.com/gatherarr/gatherarr" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    GATHERARR_STATE_PATH=/data/state.json
COPY --from=build /out/app /app
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 9477
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATHERARR_HTTP_PORT||9477)+'/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/main.js"]
