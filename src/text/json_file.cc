#include "text/json_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "io/error.h"

namespace podpower::text {
namespace {

[[noreturn]] void WrongType(const std::string& path, const std::string& key,
                            const char* expected) {
  throw Error(path + ": field '" + key + "': expected " + expected);
}

const nlohmann::json* Get(const nlohmann::json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

nlohmann::json ReadJsonFile(const std::string& path, const std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": missing (" + why + ")");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    return nlohmann::json::parse(buf.str());
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (1e400).
    throw Error(path + ": not valid JSON: " + e.what());
  }
}

std::optional<int64_t> IntField(const nlohmann::json& obj,
                                const std::string& key,
                                const std::string& path) {
  const nlohmann::json* v = Get(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) WrongType(path, key, "an integer");
  return v->get<int64_t>();
}

std::optional<double> NumberField(const nlohmann::json& obj,
                                  const std::string& key,
                                  const std::string& path) {
  const nlohmann::json* v = Get(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) WrongType(path, key, "a number");
  return v->get<double>();
}

std::optional<bool> BoolField(const nlohmann::json& obj, const std::string& key,
                              const std::string& path) {
  const nlohmann::json* v = Get(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) WrongType(path, key, "true or false");
  return v->get<bool>();
}

std::optional<std::string> StringField(const nlohmann::json& obj,
                                       const std::string& key,
                                       const std::string& path) {
  const nlohmann::json* v = Get(obj, key);
  if (!v) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_object()) {
    auto c = v->find("content");
    if (c != v->end() && c->is_string()) return c->get<std::string>();
  }
  WrongType(path, key, "a string");
}

}  // namespace podpower::text
