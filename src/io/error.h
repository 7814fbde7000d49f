// Errors podpower reports to its users.
//
// Every failure a user can cause (bad input, a missing column, a corrupt
// artifact, a server that answers with an error) is thrown as podpower::Error
// with a one-line message that names the file, line or field and says what was
// expected. The CLI prints what() prefixed with "podpower: " and exits with
// status 1. Secrets (tokens, keys) must never be part of a message.
#ifndef PODPOWER_IO_ERROR_H_
#define PODPOWER_IO_ERROR_H_

#include <stdexcept>
#include <string>
#include <string_view>

namespace podpower {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// `text` on one line: line breaks become single spaces. For reasons that come
// from libraries (DuckDB explains some errors over several lines, with a SQL
// excerpt or an out-of-memory breakdown) before they go into an Error.
std::string OneLine(std::string_view text);

}  // namespace podpower

#endif  // PODPOWER_IO_ERROR_H_
