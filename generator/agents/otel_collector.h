// The OpenTelemetry collector kinds (adot-collector, otelcol-contrib): the
// same collector YAML, receivers, probes, app environment and flush budget
// for all (otel_collector.cpp); each kind's own file says only where its
// package comes from, where its binary lies, which components its build ships
// and what else its process needs.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agents/agent.h"

namespace xb::agents {

class OtelCollector : public Agent {
 public:
  // The collector binary in the .deb and in the image, absolute.
  virtual std::string_view binary() const = 0;
  // "the ADOT collector has no processor ...": the kind in messages.
  virtual std::string_view display_name() const = 0;
  // The component types the build ships for SECTION (receivers, processors,
  // exporters, extensions, connectors); nullptr: too many to list, not checked.
  virtual const std::vector<std::string>* components(const std::string& section) const = 0;

  std::vector<LayerFile> layer_files() const override {
    return {{std::string(binary()).substr(1), std::string(binary()), 0755}};
  }
  void check(Problems& p, Descriptor& desc) const override;
  std::vector<ConfigFile> config_files(const Descriptor& desc) const override;
  std::vector<std::string> writable_dirs(const Descriptor& desc) const override;
  std::vector<std::string> argv(const Descriptor& desc) const override;
  std::optional<std::string> supervisor_log(const Descriptor& desc) const override;
  std::vector<std::string> ready_probes(const Descriptor& desc) const override;
  Env agent_env(const Descriptor& desc) const override;
  Env app_env(const Descriptor& desc) const override;
  Millis min_flush_grace(const Descriptor& desc) const override;
  int memory_mib(const Descriptor& desc) const override;
  std::optional<std::string> support_notice(const Descriptor& desc) const override;

 protected:
  static bool exact_version(const std::string& version);
};

}  // namespace xb::agents
