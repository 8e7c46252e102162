# syntax=docker/dockerfile:1
# Multi-stage build: a static, CGO-free binary (modernc.org/sqlite is pure Go)
# in a distroless image that runs as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# .dockerignore keeps .git, config.yaml, secrets/ and data out of the context.
COPY . .
ARG VERSION=dev
# timetzdata embeds the time zone database: deadlines are in Asia/Shanghai.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/qunzhu ./cmd/qunzhu \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/qunzhu /usr/local/bin/qunzhu
COPY --from=build --chown=65532:65532 /out/data /data
ENV QUNZHU_DATA_DIR=/data \
    QUNZHU_HTTP_ADDR=:8080 \
    TZ=Asia/Shanghai
USER nonroot:nonroot
VOLUME ["/data"]
EXPOSE 8080
# The image has no shell or curl: the binary probes itself. Healthy while
# /readyz answers 200 (the store answers; a logged-out WeChat is "degraded"
# but webhooks are still accepted and kept).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/qunzhu", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/qunzhu"]
CMD ["serve", "--config", "/etc/qunzhu/config.yaml"]
