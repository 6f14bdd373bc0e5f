# Builds the accessgraph command into a small distroless image.
#   docker build -t accessgraph .
#   docker run --rm -p 8080:8080 accessgraph demo --addr 0.0.0.0:8080
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/accessgraph ./cmd/accessgraph

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accessgraph /usr/local/bin/accessgraph
ENV XDG_DATA_HOME=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/accessgraph"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
