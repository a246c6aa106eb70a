// The connector's commands. Each returns the process exit status. check: 0 whether the connection
// works or not (CONNECTION_STATUS says which, as Airbyte expects). write: 0 on success, 1 on a
// failure (reported as a TRACE ERROR).
#pragma once

#include <vector>

#include "airbyte/catalog.hpp"
#include "airbyte/config.hpp"
#include "airbyte/output.hpp"

namespace airbyte {

int run_check(const connector_config& cfg, output& out);
// Reads Airbyte messages from input_fd until end of input.
int run_write(const connector_config& cfg, const std::vector<configured_stream>& streams, int input_fd, output& out);

}  // namespace airbyte
