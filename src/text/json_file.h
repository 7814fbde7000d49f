// Reading the small JSON configuration files of a model folder, with one-line
// errors.
//
// Free functions, no state; thread-safe.
#ifndef PODPOWER_TEXT_JSON_FILE_H_
#define PODPOWER_TEXT_JSON_FILE_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace podpower::text {

// Throws podpower::Error "<path>: missing (<why>)" when the file does not
// exist, or
// "<path>: not valid JSON: <parser message>".
nlohmann::json ReadJsonFile(const std::string& path, const std::string& why);

// Typed field access; absent or null -> std::nullopt. A present field of the
// wrong type throws podpower::Error "<path>: field '<key>': expected <type>".
std::optional<int64_t> IntField(const nlohmann::json& obj,
                                const std::string& key,
                                const std::string& path);
std::optional<double> NumberField(const nlohmann::json& obj,
                                  const std::string& key,
                                  const std::string& path);
std::optional<bool> BoolField(const nlohmann::json& obj, const std::string& key,
                              const std::string& path);
// Accepts a string or a serialized AddedToken object {"content": "..."}.
std::optional<std::string> StringField(const nlohmann::json& obj,
                                       const std::string& key,
                                       const std::string& path);

bool FileExists(const std::string& path);

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_JSON_FILE_H_
