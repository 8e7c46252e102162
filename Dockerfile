# syntax=docker/dockerfile:1
# Multi-stage build: a static, CGO-free binary (modernc.org/sqlite is pure Go)
# in a distroless image that runs as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
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
ENTRYPOINT ["/usr/local/bin/qunzhu"]
CMD ["serve", "--config", "/etc/qunzhu/config.yaml"]
