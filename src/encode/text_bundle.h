// The text bundle: the one string per record that the text block of the
// features embeds.
//
// Rules of the original encoder (inference-request.md), in order, parts joined
// by " | ":
//   workload_kind:<v>, workload_name:<v> (each only if non-empty);
//   label:<k>=<v> for labels sorted by key, then ann:<k>=<v> for annotations
//   sorted by key; per container, for key in image, command, args: lists joined
//   with single spaces, and <key>:<value> only if the value is non-empty.
// No parts at all gives the string "empty". Pure function, thread-safe.
#ifndef PODPOWER_ENCODE_TEXT_BUNDLE_H_
#define PODPOWER_ENCODE_TEXT_BUNDLE_H_

#include <string>

#include "io/inference_request.h"

namespace podpower::encode {

std::string TextBundle(const io::InferenceRequest& record);

}  // namespace podpower::encode

#endif  // PODPOWER_ENCODE_TEXT_BUNDLE_H_
