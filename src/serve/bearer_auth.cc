#include "serve/bearer_auth.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "io/error.h"

namespace podpower::serve {
namespace {

std::string Trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// Empty when the file cannot be read.
std::string ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return Trim(text.str());
}

// Time independent of where the strings first differ (lengths may leak).
bool SameBytes(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

BearerTokenFile::BearerTokenFile(std::string path) : path_(std::move(path)) {
  Refresh();
  if (token_.empty()) {
    throw Error("--auth-token-file " + path_ +
                ": cannot read a token (expected a non-empty file)");
  }
}

void BearerTokenFile::Refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return;
  if (st.st_mtim.tv_sec == mtime_.tv_sec &&
      st.st_mtim.tv_nsec == mtime_.tv_nsec && st.st_size == size_)
    return;
  std::string token = ReadToken(path_);
  if (token.empty()) return;
  token_ = std::move(token);
  mtime_ = st.st_mtim;
  size_ = st.st_size;
}

bool BearerTokenFile::Accepts(const std::string& authorization) {
  constexpr size_t kScheme = 7;  // "Bearer "
  if (authorization.size() <= kScheme || authorization[kScheme - 1] != ' ')
    return false;
  std::string scheme = authorization.substr(0, kScheme - 1);
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer") return false;
  const std::string presented = Trim(authorization.substr(kScheme));
  std::lock_guard<std::mutex> lock(mu_);
  Refresh();
  return SameBytes(presented, token_);
}

}  // namespace podpower::serve
