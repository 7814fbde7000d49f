#include "io/error.h"

namespace podpower {

std::string OneLine(std::string_view text) {
  std::string line;
  for (char c : text) {
    if (c != '\n' && c != '\r') {
      line += c;
    } else if (!line.empty() && line.back() != ' ') {
      line += ' ';
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace podpower
