// skin/model/model_directory_writer.hpp: the one way skinscan writes a model directory (adapt,
// calibrate): every file goes into a staging folder of its own beside the target, named uniquely
// (mkdtemp), and the finished folder is renamed into place, so a reader never sees a half-written
// model and no folder of the user's is ever removed to make room.
#pragma once
#include <string>

namespace skin {

class ModelDirectoryWriter {
 public:
  // Creates the staging folder "<target>.partial-XXXXXX"; Error(io) naming it when it cannot.
  explicit ModelDirectoryWriter(const std::string& target);
  ~ModelDirectoryWriter();  // removes the staging folder unless committed
  ModelDirectoryWriter(const ModelDirectoryWriter&) = delete;
  ModelDirectoryWriter& operator=(const ModelDirectoryWriter&) = delete;

  // Where to write FILE (e.g. "model.pt") before commit().
  std::string path(const std::string& file) const;
  const std::string& staging() const { return staging_; }

  // Moves the staging folder to the target. A target that is absent or an empty folder is
  // replaced; one with files only when `replace` (it is moved aside, then removed), otherwise
  // Error(usage) "TARGET: already holds a model (use --force to replace it)".
  void commit(bool replace);

 private:
  std::string target_, staging_;
  bool committed_ = false;
};

}  // namespace skin
