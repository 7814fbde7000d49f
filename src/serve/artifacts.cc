#include "serve/artifacts.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "io/error.h"
#include "io/sha256.h"

namespace podpower::serve {
namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string StatSignature(const std::string& path) {
  struct stat st {};
  if (path.empty()) return "-";
  if (::stat(path.c_str(), &st) != 0) return path + ":missing";
  return fmt::format("{}:{}:{}:{}.{}", path, st.st_ino, st.st_size,
                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

}  // namespace

std::shared_ptr<const Artifacts> LoadArtifacts(const ArtifactPaths& paths) {
  // Hash the bytes first and load from the same files: a writer replacing a
  // file in between at worst makes the next poll see a change and reload.
  const std::string bytes = ReadBytes(paths.encoder) + ReadBytes(paths.model);
  const std::string hex = io::Sha256Hex(bytes).substr(0, 16);
  auto artifacts = std::make_shared<Artifacts>();
  artifacts->predictor =
      predict::Predictor::Load(paths.encoder, paths.model, paths.sbert_model);
  artifacts->fingerprint = hex;
  return artifacts;
}

ArtifactStore::ArtifactStore(ArtifactPaths paths) : paths_(std::move(paths)) {
  signature_ = FileSignature();
  current_ = LoadArtifacts(paths_);
}

std::shared_ptr<const Artifacts> ArtifactStore::Current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::string ArtifactStore::FileSignature() const {
  return StatSignature(paths_.encoder) + "|" + StatSignature(paths_.model);
}

ReloadResult ArtifactStore::Reload() {
  std::lock_guard reload_lock(reload_mutex_);
  ReloadResult result;
  result.attempted = true;
  const std::string signature = FileSignature();
  try {
    auto fresh = LoadArtifacts(paths_);
    result.ok = true;
    result.message = fresh->fingerprint;
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
    signature_ = signature;
  } catch (const std::exception& e) {
    result.message = e.what();
    std::lock_guard lock(mutex_);
    signature_ = signature;
  }
  return result;
}

ReloadResult ArtifactStore::ReloadIfChanged() {
  {
    std::lock_guard lock(mutex_);
    if (FileSignature() == signature_) return {};
  }
  return Reload();
}

}  // namespace podpower::serve
