// skin/core/json_file.hpp: JSON documents to and from files, with errors that name the file.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace skin {

// Error(io) "PATH: cannot open WHAT" when the file cannot be opened; Error(input)
// "PATH: invalid JSON" when it does not parse.
nlohmann::json read_json_file(const std::string& path, const std::string& what);

// The one way skinscan writes a JSON document (reports, sidecars, manifests, --json output):
// indented by 2, newline-terminated, invalid UTF-8 replaced (json_text). Destination "-" is
// stdout (flushed); anything else is a file written atomically (Error(io) when it cannot be).
void write_json(const std::string& destination, const nlohmann::json& document);

}  // namespace skin
