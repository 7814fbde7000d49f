// Which workload a (kind, name) pair of a label or feature row belongs to.
//
// Labels name what Kepler saw (a ReplicaSet, a pod, a Job); features name what
// was deployed (a Deployment, a CronJob). Both sides are mapped to the owning
// workload so they can be joined on (namespace, canonical name). The rules are
// the original join_features_labels.py's, plus Job and CronJob ownership (see
// docs/formats/join.md for the exact patterns and examples). Pure functions,
// thread-safe, never fail.
#ifndef PODPOWER_JOIN_CANONICAL_H_
#define PODPOWER_JOIN_CANONICAL_H_

#include <string>
#include <string_view>

namespace podpower::join {

struct CanonicalWorkload {
  std::string kind;
  std::string name;
  bool operator==(const CanonicalWorkload&) const = default;
};

// Kind and name are trimmed of ASCII whitespace first, like the original.
//   Deployment x                         -> Deployment x
//   ReplicaSet <base>-<9+ hex>           -> Deployment <base>
//   ReplicaSet other                     -> Deployment other (unchanged name)
//   Pod <base>-<9+ hex>-<5 [a-z0-9]>     -> Deployment <base>
//   Pod <base>-<9+ hex>                  -> Deployment <base>
//   Pod <job>-<5 generated chars>        -> Job <job>, then the Job rule
//   Pod other                            -> Pod other
//   Job <cronjob>-<8+ digits>            -> CronJob <cronjob>
//   anything else                        -> unchanged
// "hex" is [a-f0-9]; "generated chars" are Kubernetes' random-suffix alphabet
// [bcdfghjklmnpqrstvwxz2456789] (no vowels), so "etcd-control-plane" stays a
// Pod. The Deployment pod rules are tried before the Job pod rule.
CanonicalWorkload CanonicalizeWorkload(std::string_view kind,
                                       std::string_view name);

// Namespaces compare trimmed and ASCII lower-cased.
std::string NormalizeNamespace(std::string_view ns);

// Trims ASCII whitespace (" \t\n\v\f\r") on both ends.
std::string_view TrimAscii(std::string_view text);

}  // namespace podpower::join

#endif  // PODPOWER_JOIN_CANONICAL_H_
