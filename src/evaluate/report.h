// The evaluation as one self-contained HTML page for people: inline SVG charts
// (predicted vs actual, residuals by workload kind, error by method, interval
// coverage), the metrics tables and the worst predictions with their
// neighbours. No scripts and no external resources, so it opens offline and
// from mail. Pure function, thread-safe.
#ifndef PODPOWER_EVALUATE_REPORT_H_
#define PODPOWER_EVALUATE_REPORT_H_

#include <string>

#include "evaluate/evaluate.h"

namespace podpower::evaluate {

std::string RenderReport(const Evaluation& evaluation);

// Escapes & < > " ' for HTML text and attributes.
std::string HtmlEscape(const std::string& text);

}  // namespace podpower::evaluate

#endif  // PODPOWER_EVALUATE_REPORT_H_
