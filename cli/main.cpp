// cli/main.cpp: registers the subcommands, parses, and maps errors to exit codes.
#include <cstdio>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/version.hpp"

int main(int argc, char** argv) {
  cli::record_time_to_main();
  cli::set_program_path(argv[0]);
  CLI::App app{"skinscan: classify dermatoscopic images with TorchScript models and evaluate them."};
  app.set_version_flag("--version", skin::version_banner());
  app.require_subcommand(1);
  app.footer(std::string("Run 'skinscan SUBCOMMAND --help' for details and examples.\n") + cli::kExitCodesHelp);
  const cli::Subcommand subcommands[] = {cli::setup_classify(app),  cli::setup_batch(app),   cli::setup_evaluate(app),
                                         cli::setup_calibrate(app), cli::setup_explain(app), cli::setup_compare(app),
                                         cli::setup_merge(app),     cli::setup_serve(app),   cli::setup_adapt(app),
                                         cli::setup_audit(app)};
  try {
    app.parse(argc, argv);
    for (const auto& subcommand : subcommands)
      if (subcommand.app->parsed()) return subcommand.run();
    return cli::kUsageOrModel;  // unreachable: require_subcommand(1)
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kOk : cli::kUsageOrModel;
  } catch (const std::exception& e) {
    // Whatever reaches here stopped the whole run; per-item failures are counted where they happen.
    std::fprintf(stderr, "skinscan: error: %s\n", e.what());
    const auto* error = dynamic_cast<const skin::Error*>(&e);
    return error ? cli::exit_code_for(error->kind()) : cli::kUsageOrModel;
  }
}
