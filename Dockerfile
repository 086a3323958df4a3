# Multi-stage build of the forum: a static binary on a minimal base, run as a non-root user.
# Mirrors `make build`.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/forum ./cmd/forum \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/forum /usr/local/bin/forum
COPY --from=build --chown=65532:65532 /out/data /data
ENV FORUM_ADDR=0.0.0.0:8080 \
    FORUM_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/forum"]
CMD ["serve"]
