# The AWS Batch proof-job image: one container run per PoG challenge (functions/proof-job).
# Built by the CDK stack (DockerImageAsset) from the repository root.
FROM public.ecr.aws/docker/library/node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY lib ./lib
COPY functions ./functions
RUN npx esbuild functions/proof-job/index.ts --bundle --platform=node --format=esm --target=node22 \
      --minify --sourcemap --outfile=dist/proof-job.mjs \
      "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"

FROM public.ecr.aws/docker/library/node:22-bookworm-slim
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build /src/dist/ ./
USER node
# exit 0: outcome recorded (success or miner fault); 1: infrastructure fault (Batch retries); 2: invalid challenge
ENTRYPOINT ["node", "/app/proof-job.mjs"]
