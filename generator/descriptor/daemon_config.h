// xray.config: the keys of the daemon's cfg.yaml (Version 2). The daemon exits
// on an unknown key or a wrong type, so they are checked here, before they
// reach an image.
#pragma once

#include <nlohmann/json.hpp>

#include "descriptor/fields.h"

namespace xb {

// The known keys in file order, typed; Version 2 and TotalBufferSizeMB
// (kDefaultBufferMB) added when absent.
nlohmann::ordered_json read_daemon_config(Problems& p, const Field& f);

}  // namespace xb
