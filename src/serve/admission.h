// The admission webhook (POST /admission): admission.k8s.io/v1 AdmissionReview
// in, a mutating answer out.
//
// For CREATE and UPDATE of a Deployment, StatefulSet, DaemonSet, Job, CronJob
// or Pod the answer carries a JSONPatch adding these annotations to the
// object's metadata (docs/formats/serve.md):
//   podpower.io/predicted-watts        watts per pod
//   podpower.io/predicted-watts-total  x spec.replicas (Deployment,
//                                      StatefulSet) or parallelism (Job,
//                                      CronJob's job template); omitted for a
//                                      DaemonSet (one pod per node, unknown)
//   podpower.io/model-fingerprint      which encoder + model made the number
// With budgets, a workload whose total is above its namespace's budget is
// denied (403) or, in warn mode, admitted with a warning.
//
// The webhook must never block the cluster: every problem with the object, the
// model or podpower itself gives allowed=true with a warning and no patch.
// Only a body that is not an AdmissionReview at all (no request.uid to answer
// to) is refused, and the API server's failurePolicy Ignore admits the object
// then. Pure function of its inputs; thread-safe.
#ifndef PODPOWER_SERVE_ADMISSION_H_
#define PODPOWER_SERVE_ADMISSION_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "serve/artifacts.h"
#include "serve/budget.h"

namespace podpower::serve {

inline constexpr const char* kWattsAnnotation = "podpower.io/predicted-watts";
inline constexpr const char* kTotalAnnotation =
    "podpower.io/predicted-watts-total";
inline constexpr const char* kFingerprintAnnotation =
    "podpower.io/model-fingerprint";

struct AdmissionOptions {
  double step_seconds = 60;        // for energy_step_j models, see watts.h
  std::optional<Budgets> budgets;  // validating mode when set
  BudgetMode budget_mode = BudgetMode::kDeny;
};

struct AdmissionResult {
  nlohmann::json review;  // the AdmissionReview to send back
  // For /metrics: "patched", "denied", "warned" (over budget, admitted),
  // "skipped" (not a workload or not a create/update), "error" (admitted
  // without prediction).
  std::string decision;
  size_t predictions = 0;  // workloads predicted (0 or 1)
};

// Answers one AdmissionReview. Throws podpower::Error only when `review` has
// no request.uid (the caller answers 400); everything else is an answer.
// `artifacts` may be null (then: allowed with a warning).
AdmissionResult Admit(const nlohmann::json& review, const Artifacts* artifacts,
                      const AdmissionOptions& options);

// RFC 4648 base64 with padding (the JSONPatch goes base64 into the answer).
std::string Base64(const std::string& bytes);

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_ADMISSION_H_
