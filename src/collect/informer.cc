#include "collect/informer.h"

#include <malloc.h>

#include <random>
#include <set>
#include <thread>

#include "collect/live_record.h"
#include "io/error.h"

namespace podpower::collect {
namespace {

const nlohmann::json& Meta(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull = nullptr;
  if (!object.is_object()) return kNull;
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return kNull;
  auto it = m->find(key);
  return it == m->end() ? kNull : *it;
}

std::string MetaString(const nlohmann::json& object, const char* key) {
  const auto& v = Meta(object, key);
  return v.is_string() ? v.get<std::string>() : "";
}

int RandomBetween(int lo, int hi) {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(lo, std::max(lo, hi))(rng);
}

}  // namespace

const char* ChangeName(ChangeType type) {
  switch (type) {
    case ChangeType::kAdded:
      return "ADDED";
    case ChangeType::kModified:
      return "MODIFIED";
    case ChangeType::kDeleted:
      return "DELETED";
  }
  return "?";
}

Informer::Informer(kube::ApiClient& api, kube::ResourceType type,
                   InformerOptions options, ChangeHandler on_change,
                   LogHandler log)
    : api_(api),
      type_(std::move(type)),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      log_(std::move(log)) {}

std::string Informer::Describe() const {
  return type_.kind + (options_.namespace_.empty()
                           ? ""
                           : " in namespace " + options_.namespace_);
}

std::string Informer::ListOnce() { return List(true); }

std::string Informer::List(bool initial) {
  std::vector<nlohmann::json> items;
  std::string rv, cont;
  for (;;) {
    std::string path = type_.CollectionPath(options_.namespace_) +
                       "?limit=" + std::to_string(options_.page_size);
    if (!cont.empty()) path += "&continue=" + http::UrlEncode(cont);
    nlohmann::json page;
    try {
      page = api_.Get(path);
    } catch (const kube::ApiError& e) {
      if (e.status() == 410 &&
          !cont.empty()) {  // continue token expired: start over
        log_(Describe() + ": list continue token expired, listing again");
        items.clear();
        rv.clear();
        cont.clear();
        continue;
      }
      throw;
    }
    if (!page.is_object() || !page["items"].is_array()) {
      throw Error("context \"" + api_.config().context + "\": GET " + path +
                  ": expected a list object with 'items'");
    }
    if (rv.empty()) rv = MetaString(page, "resourceVersion");
    for (auto& item : page["items"]) {
      item["kind"] = type_.kind;
      item["apiVersion"] = type_.ApiVersion();
      items.push_back(std::move(item));
    }
    cont = MetaString(page, "continue");
    if (cont.empty()) break;
  }
  ++stats_.lists;
  std::set<std::string> present;
  for (auto& item : items) {
    std::string uid = MetaString(item, "uid");
    if (uid.empty()) continue;
    present.insert(uid);
    Apply("ADDED", std::move(item), initial);
  }
  for (auto it = known_.begin(); it != known_.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    Change change{ChangeType::kDeleted,
                  nlohmann::json::parse(it->second.object), false};
    it = known_.erase(it);
    on_change_(change);
  }
  resource_version_ = rv;
  items.clear();
  items.shrink_to_fit();
  // A big list leaves hundreds of MiB of freed pages in the heap; hand them
  // back so a collector that runs for weeks stays small.
  malloc_trim(0);
  return rv;
}

void Informer::Apply(const std::string& type, nlohmann::json object,
                     bool initial) {
  std::string uid = MetaString(object, "uid");
  // Kept per workload for weeks: drop what no record uses (managedFields is
  // often the bulk).
  object.erase("status");
  if (object.contains("metadata") && object["metadata"].is_object()) {
    object["metadata"].erase("managedFields");
  }
  if (type == "DELETED") {
    auto it = known_.find(uid);
    if (it != known_.end()) {
      known_.erase(it);
      on_change_(Change{ChangeType::kDeleted, std::move(object), false});
    }
    return;
  }
  std::string digest = PodTemplateDigest(object);
  auto it = known_.find(uid);
  if (it == known_.end()) {
    known_[uid] = Known{digest, object.dump()};
    on_change_(Change{ChangeType::kAdded, std::move(object), initial});
  } else if (it->second.digest != digest) {
    it->second = Known{digest, object.dump()};
    on_change_(Change{ChangeType::kModified, std::move(object), false});
  } else {
    it->second.object = object.dump();
  }
}

void Informer::HandleLine(std::string_view line) {
  ++line_number_;
  if (line.empty()) return;
  auto malformed = [&](const std::string& why) {
    ++stats_.malformed;
    log_(Describe() + ": watch stream line " + std::to_string(line_number_) +
         ": malformed event skipped: " + why);
  };
  nlohmann::json event;
  try {
    event = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    malformed(std::string("expected a JSON object (") + e.what() + ")");
    return;
  }
  if (!event.is_object() || !event["type"].is_string() ||
      !event["object"].is_object()) {
    malformed("expected {\"type\": string, \"object\": object}");
    return;
  }
  std::string type = event["type"].get<std::string>();
  nlohmann::json& object = event["object"];
  if (type == "BOOKMARK") {
    std::string rv = MetaString(object, "resourceVersion");
    if (!rv.empty()) resource_version_ = rv;
    ++stats_.bookmarks;
    return;
  }
  if (type == "ERROR") {
    int code = object.value("code", 0);
    if (code == 410) {
      gone_ = true;
      return;
    }
    throw Error(Describe() + ": watch error event: " + std::to_string(code) +
                " " + object.value("reason", "") + ": " +
                object.value("message", ""));
  }
  if (type != "ADDED" && type != "MODIFIED" && type != "DELETED") {
    malformed("unknown event type \"" + type + "\"");
    return;
  }
  if (MetaString(object, "uid").empty()) {
    malformed("field 'object.metadata.uid': expected a string");
    return;
  }
  if (!object.contains("kind")) object["kind"] = type_.kind;
  if (!object.contains("apiVersion")) object["apiVersion"] = type_.ApiVersion();
  std::string rv = MetaString(object, "resourceVersion");
  Apply(type, std::move(object), false);
  if (!rv.empty()) resource_version_ = rv;
}

void Informer::Watch(const http::Cancel& stop) {
  int timeout = RandomBetween(options_.watch_timeout_min_seconds,
                              options_.watch_timeout_max_seconds);
  std::string path = type_.CollectionPath(options_.namespace_) +
                     "?watch=1&allowWatchBookmarks=true&resourceVersion=" +
                     http::UrlEncode(resource_version_) +
                     "&timeoutSeconds=" + std::to_string(timeout);
  ++stats_.watches;
  line_number_ = 0;
  api_.Watch(
      path,
      [&](std::string_view line) {
        HandleLine(line);
        return !gone_ && !stop.cancelled();
      },
      &stop, std::chrono::seconds(timeout + 60));
}

void Informer::Sleep(std::chrono::milliseconds d, const http::Cancel& stop) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.cancelled() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Informer::Run(const http::Cancel& stop) {
  auto backoff = options_.backoff_initial;
  bool need_list = true, first = true;
  auto fail = [&](const std::string& message) {
    ++stats_.errors;
    auto wait = std::chrono::milliseconds(
        RandomBetween(static_cast<int>(backoff.count() / 2),
                      static_cast<int>(backoff.count())));
    log_(message + " (retrying in " + std::to_string(wait.count()) + " ms)");
    Sleep(wait, stop);
    backoff = std::min(backoff * 2, options_.backoff_max);
  };
  while (!stop.cancelled()) {
    try {
      if (need_list) {
        List(first);
        first = false;
        need_list = false;
      }
      gone_ = false;
      auto started = std::chrono::steady_clock::now();
      Watch(stop);
      if (gone_) {
        ++stats_.gone;
        log_(Describe() + ": resourceVersion " + resource_version_ +
             " expired (410 Gone), relisting");
        need_list = true;
        continue;
      }
      if (std::chrono::steady_clock::now() - started <
              std::chrono::seconds(1) &&
          !stop.cancelled()) {
        fail(Describe() + ": watch ended at once");
      } else {
        backoff = options_.backoff_initial;
      }
    } catch (const kube::ApiError& e) {
      if (e.status() == 410) {
        ++stats_.gone;
        log_(Describe() + ": resourceVersion " + resource_version_ +
             " expired (410 Gone), relisting");
        need_list = true;
        continue;
      }
      if (first && (e.status() == 401 || e.status() == 403)) throw;
      fail(e.what());
    } catch (const Error& e) {
      fail(e.what());
    }
  }
}

}  // namespace podpower::collect
