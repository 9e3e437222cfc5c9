# paratag container image: build with the Rust toolchain, run from a small distroless image as
# a non-root user. The default model and gazetteer are embedded in the binary.
#   docker build -t paratag .
#   docker run --rm -p 50051:50051 -p 9464:9464 paratag
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto proto
COPY src src
COPY models models
COPY benches benches
RUN cargo build --release --locked --bin paratag \
 && strip target/release/paratag

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/paratag /usr/local/bin/paratag
COPY --from=build /src/models/README.md /src/models/GAZETTEER.md /usr/share/paratag/
USER nonroot:nonroot
# Inside a container the service must listen on all interfaces; outside, the default stays
# loopback-only.
ENV PARATAG_LISTEN=0.0.0.0:50051 \
    PARATAG_METRICS_LISTEN=0.0.0.0:9464 \
    PARATAG_LOG_FORMAT=json
EXPOSE 50051 9464
ENTRYPOINT ["/usr/local/bin/paratag", "serve"]
