# Gateway image: Node 24 LTS, production dependencies only, non-root, data on a volume.
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    GATEWAY_DATA_DIR=/data \
    FHIR_PACKAGES_DIR=/fhir-packages
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY profiles ./profiles
COPY mappings ./mappings
COPY examples ./examples
COPY test/support ./test/support
RUN mkdir -p /data /fhir-packages && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/gateway.js", "serve"]
