# The Airbyte connector image (airbyte/destination-cassandra). Two stages: a build stage with the
# toolchain runs tools/image-build (the same install steps tests/ship runs into a staging directory),
# and a slim Debian runtime that holds only the binary and the shared libraries it links against.
# The version here, in metadata.yaml and in meson.build is one number; tests/ship checks that.

FROM debian:12-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ meson ninja-build pkg-config libasio-dev rapidjson-dev liblz4-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY meson.build meson_options.txt ./
COPY src/ src/
COPY fuzz/ fuzz/
COPY tools/ tools/
COPY subprojects/ subprojects/
RUN tools/image-build /stage

FROM debian:12-slim
# Runtime shared libraries of the binary (tests/ship compares them with ldd on the staged binary).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libstdc++6 libssl3 liblz4-1 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 --user-group airbyte \
 && mkdir -p /airbyte \
 && chown airbyte:airbyte /airbyte
COPY --from=build /stage/usr/local/bin/destination-cassandra /usr/local/bin/destination-cassandra
ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/destination-cassandra"
ENTRYPOINT ["/usr/local/bin/destination-cassandra"]
LABEL io.airbyte.name="airbyte/destination-cassandra" \
      io.airbyte.version="0.2.0"
WORKDIR /airbyte
USER airbyte
