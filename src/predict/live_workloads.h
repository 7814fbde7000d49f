// Workloads for `predict` named the way kubectl names them, read from the live
// cluster: `deployment/web`, `deploy web api`, `cronjobs.batch/nightly`.
//
// The objects are read with the user's kubeconfig and current context, as
// kubectl reads them (kube/kubeconfig.h: --kubeconfig, KUBECONFIG,
// ~/.kube/config, in-cluster; --context), and each becomes a record through
// collect::RecordFromObject, the function `collect from-file` and the live
// collector use, so a live object and its manifest give the same record up to
// the fields the API server defaults. Functions have no shared state and are
// thread-safe.
#ifndef PODPOWER_PREDICT_LIVE_WORKLOADS_H_
#define PODPOWER_PREDICT_LIVE_WORKLOADS_H_

#include <string>
#include <vector>

#include "io/inference_request.h"
#include "kube/kubeconfig.h"

namespace podpower::predict {

// One named object: `kind` is the canonical kind ("Deployment").
struct ObjectRef {
  std::string kind;
  std::string name;
};

// kubectl's resource type names for the workload kinds, case-insensitive:
// singular, plural and short names (deploy, sts, ds, rs, cj, po), optionally
// with their group (deployment.apps, jobs.batch). Returns the canonical kind;
// throws podpower::Error naming `type` and the accepted names otherwise.
std::string KindFromType(const std::string& type);

// The object arguments as kubectl takes them: every argument TYPE/NAME, or
// TYPE followed by one or more NAMEs. Empty `args` give no refs. Throws
// podpower::Error for a mix of the two forms, a TYPE without a NAME, an empty
// name or an unknown type.
std::vector<ObjectRef> ParseObjectRefs(const std::vector<std::string>& args);

struct LiveOptions {
  kube::KubeconfigOptions connection;  // --kubeconfig, --context
  std::string namespace_;              // -n; empty: the context's namespace
};

// GETs each object and turns it into a record, in `refs` order. Throws
// podpower::Error when there is no usable kubeconfig, kube::ApiError
// (one line naming the context, the object and the server's reason) when an
// object is missing or access is refused, and podpower::Error naming the
// object and field when it cannot be turned into a record.
std::vector<io::InferenceRequest> ReadLiveWorkloads(
    const std::vector<ObjectRef>& refs, const LiveOptions& options);

}  // namespace podpower::predict

#endif  // PODPOWER_PREDICT_LIVE_WORKLOADS_H_
