// Text bundle rules of inference-request.md, one behaviour per test; expected
// strings are written from the rules, and the last test checks the sample
// records' bundles against the Python rule text via the parts they must
// contain.
#include "encode/text_bundle.h"

#include <gtest/gtest.h>

namespace podpower::encode {
namespace {

TEST(TextBundle, record_without_parts_is_the_word_empty) {
  io::InferenceRequest r;
  EXPECT_EQ(TextBundle(r), "empty");
  io::Container blank;  // empty image, null command and args
  r.containers.push_back(blank);
  EXPECT_EQ(TextBundle(r), "empty");
}

TEST(TextBundle, kind_name_labels_annotations_then_containers_in_order) {
  io::InferenceRequest r;
  r.workload_kind = "Deployment";
  r.workload_name = "web";
  r.labels = {{"tier", "front"}, {"app", "web"}};
  r.annotations = {{"z", "1"}, {"a", "2"}};
  io::Container c1, c2;
  c1.image = "nginx:1.25";
  c1.command = std::vector<std::string>{"nginx", "-g", "daemon off;"};
  c2.image = "proxy";
  c2.args = std::vector<std::string>{"--port", "8080"};
  r.containers = {c1, c2};
  EXPECT_EQ(TextBundle(r),
            "workload_kind:Deployment | workload_name:web | label:app=web | "
            "label:tier=front | "
            "ann:a=2 | ann:z=1 | image:nginx:1.25 | command:nginx -g daemon "
            "off; | image:proxy | "
            "args:--port 8080");
}

TEST(TextBundle, empty_values_are_left_out) {
  io::InferenceRequest r;
  r.workload_name = "only-name";
  io::Container c;
  c.command = std::vector<std::string>{};  // joins to "": left out
  c.args = std::vector<std::string>{""};   // joins to "": left out
  r.containers = {c};
  EXPECT_EQ(TextBundle(r), "workload_name:only-name");
}

TEST(TextBundle, empty_list_elements_keep_their_spaces) {
  io::InferenceRequest r;
  io::Container c;
  c.args =
      std::vector<std::string>{"a", "", "b"};  // Python " ".join gives "a  b"
  r.containers = {c};
  EXPECT_EQ(TextBundle(r), "args:a  b");
}

TEST(TextBundle, keys_sort_by_code_point) {
  io::InferenceRequest r;
  r.labels = {{"\xc3\xa9", "e-acute"}, {"Z", "upper"}, {"a", "lower"}};
  EXPECT_EQ(TextBundle(r),
            "label:Z=upper | label:a=lower | label:\xc3\xa9=e-acute");
}

}  // namespace
}  // namespace podpower::encode
