#include "join/canonical.h"

#include <algorithm>

namespace podpower::join {
namespace {

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool IsLowerAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// k8s.io/apimachinery/pkg/util/rand: the alphabet of generateName suffixes.
bool IsGeneratedChar(char c) {
  return std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c) !=
         std::string_view::npos;
}

template <typename Pred>
bool All(std::string_view s, Pred pred) {
  return std::all_of(s.begin(), s.end(), pred);
}

// Splits "<base>-<last>" at the last '-'; false when there is no '-' or the
// base would be empty (the original's "(.+)-" needs one character).
bool SplitLast(std::string_view name, std::string_view* base,
               std::string_view* last) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  *base = name.substr(0, dash);
  *last = name.substr(dash + 1);
  return true;
}

// "<base>-<9+ hex>": the ReplicaSet name of a Deployment.
bool StripReplicaSetHash(std::string_view name, std::string_view* base) {
  std::string_view last;
  return SplitLast(name, base, &last) && last.size() >= 9 &&
         All(last, IsLowerHex);
}

// "<base>-<9+ hex>-<5 [a-z0-9]>": a pod of a Deployment's ReplicaSet.
bool StripDeploymentPodSuffix(std::string_view name, std::string_view* base) {
  std::string_view rest, pod;
  if (!SplitLast(name, &rest, &pod) || pod.size() != 5 ||
      !All(pod, IsLowerAlnum)) {
    return false;
  }
  return StripReplicaSetHash(rest, base);
}

// "<job>-<5 generated chars>": a pod created from a Job's generateName.
bool StripGeneratedPodSuffix(std::string_view name, std::string_view* base) {
  std::string_view last;
  return SplitLast(name, base, &last) && last.size() == 5 &&
         All(last, IsGeneratedChar);
}

// "<cronjob>-<8+ digits>": a Job a CronJob created (scheduled time in
// minutes since the epoch).
bool StripCronJobSchedule(std::string_view name, std::string_view* base) {
  std::string_view last;
  return SplitLast(name, base, &last) && last.size() >= 8 && All(last, IsDigit);
}

CanonicalWorkload FromJob(std::string_view name) {
  std::string_view base;
  if (StripCronJobSchedule(name, &base)) return {"CronJob", std::string(base)};
  return {"Job", std::string(name)};
}

}  // namespace

std::string_view TrimAscii(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

std::string NormalizeNamespace(std::string_view ns) {
  std::string out(TrimAscii(ns));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

CanonicalWorkload CanonicalizeWorkload(std::string_view kind_in,
                                       std::string_view name_in) {
  const std::string_view kind = TrimAscii(kind_in);
  const std::string_view name = TrimAscii(name_in);
  std::string_view base;
  if (kind == "Deployment") return {"Deployment", std::string(name)};
  if (kind == "ReplicaSet") {
    // The original calls even a hash-less ReplicaSet a Deployment.
    if (StripReplicaSetHash(name, &base))
      return {"Deployment", std::string(base)};
    return {"Deployment", std::string(name)};
  }
  if (kind == "Pod") {
    if (StripDeploymentPodSuffix(name, &base) ||
        StripReplicaSetHash(name, &base)) {
      return {"Deployment", std::string(base)};
    }
    if (StripGeneratedPodSuffix(name, &base)) return FromJob(base);
    return {"Pod", std::string(name)};
  }
  if (kind == "Job") return FromJob(name);
  return {std::string(kind), std::string(name)};
}

}  // namespace podpower::join
