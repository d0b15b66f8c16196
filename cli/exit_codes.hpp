// cli/exit_codes.hpp: the documented exit codes (README "Exit codes", --help footer) and the
// one place that maps an error to its code.
#pragma once
#include <exception>
#include <string>

#include "skin/core/error.hpp"

namespace cli {

enum ExitCode : int {
  kOk = 0,
  kUsageOrModel = 1,   // bad arguments, unusable model or dataset file, output cannot be written
  kItemsFailed = 2,    // the run finished but some items failed (each is reported)
  kGateFailed = 3,     // evaluate: a gate failed; compare: --max-drop exceeded
  kInterrupted = 130,  // stopped by Ctrl-C; results so far are kept
};

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 all ok; 1 usage, model, data file or output error; 2 some items failed (each reported);\n"
    "3 a gate failed (evaluate, compare --max-drop); 130 interrupted (results written so far are kept).";

// The --help line that points to a subcommand's page in the source tree's docs/.
inline std::string docs_line(const char* page) { return std::string("Documentation: docs/") + page + "\n"; }

// An error that reaches main() stopped the whole run (per-item failures are recorded and
// counted where they happen, and give kItemsFailed). Every kind of whole-run error is exit 1:
// a usage mistake, an unusable model, an unreadable data file (ErrorKind::input from a label
// CSV or predictions file), or output that cannot be written.
constexpr ExitCode exit_code_for(skin::ErrorKind kind) {
  switch (kind) {
    case skin::ErrorKind::usage:
    case skin::ErrorKind::model:
    case skin::ErrorKind::input:
    case skin::ErrorKind::io:
      return kUsageOrModel;
  }
  return kUsageOrModel;
}

}  // namespace cli
