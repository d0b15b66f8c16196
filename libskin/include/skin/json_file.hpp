// skin/json_file.hpp: reading a JSON document from a file, with errors that name the file.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace skin {

// Error(io) "PATH: cannot open WHAT" when the file cannot be opened; Error(input)
// "PATH: invalid JSON" when it does not parse.
nlohmann::json read_json_file(const std::string& path, const std::string& what);

}  // namespace skin
