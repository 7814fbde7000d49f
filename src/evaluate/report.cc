#include "evaluate/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "io/version.h"

namespace podpower::evaluate {
namespace {

const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                               "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

// As predict::TargetUnit; repeated so the report does not pull in the
// encoder.
std::string Unit(const std::string& target) {
  if (target == "avg_power_w") return "W";
  if (target == "energy_step_j") return "J/step";
  if (target == "total_energy_j") return "J";
  return "";
}

std::string Num(double v, int digits = 3) {
  if (std::isnan(v)) return "n/a";
  return fmt::format("{:.{}f}", v, digits);
}

std::string Pct(double fraction) {
  return std::isnan(fraction) ? std::string("n/a")
                              : fmt::format("{:.1f}%", 100 * fraction);
}

// Maps [lo, hi] onto [a, b] (pixels).
struct Axis {
  double lo, hi, a, b;
  double operator()(double v) const {
    return hi > lo ? a + (v - lo) / (hi - lo) * (b - a) : (a + b) / 2;
  }
};

// The baseline with the lowest MAE (the model itself when none is marked).
const MethodScores& BestBaseline(const SchemeResult& s) {
  const MethodScores* best = &s.methods.front();
  for (const auto& m : s.methods) {
    if (m.baseline && (!best->baseline || m.overall.mae < best->overall.mae))
      best = &m;
  }
  return *best;
}

// Log-log: watts span three decades, and on linear axes every small workload
// sits in one corner. Values at or below a floor (a thousandth of the largest)
// are drawn at the floor.
std::string Scatter(const Evaluation& e, const SchemeResult& s) {
  const auto& y = e.data.rows.labels;
  const auto& p = s.methods[0].predictions;
  double top = std::max(*std::max_element(y.begin(), y.end()),
                        *std::max_element(p.begin(), p.end()));
  if (!(top > 0)) top = 1;
  const double floor = top * 1e-3;
  double bottom = top;
  for (const auto* values : {&y, &p}) {
    for (double v : *values) bottom = std::min(bottom, std::max(v, floor));
  }
  const auto log = [&](double v) { return std::log10(std::max(v, floor)); };
  const double lo = log(bottom), hi = std::max(log(top), lo + 1e-9);
  const Axis x{lo, hi, 60, 460}, v{lo, hi, 420, 20};
  std::string svg =
      "<svg xmlns='http://www.w3.org/2000/svg' width='480' height='460' "
      "role='img' aria-label='predicted vs actual, log-log'>";
  svg += fmt::format(
      "<rect x='60' y='20' width='400' height='400' fill='#fafafa' "
      "stroke='#999'/><line x1='{:.1f}' y1='{:.1f}' x2='{:.1f}' y2='{:.1f}' "
      "stroke='#888' stroke-dasharray='4 3'/>",
      x(lo), v(lo), x(hi), v(hi));
  for (size_t i = 0; i < y.size(); ++i) {
    svg += fmt::format(
        "<circle cx='{:.1f}' cy='{:.1f}' r='3' fill='{}' fill-opacity='0.5'>"
        "<title>{}: actual {:.3f}, predicted {:.3f}</title></circle>",
        x(log(y[i])), v(log(p[i])), s.decided_by_tie[i] ? "#d62728" : "#1f77b4",
        HtmlEscape(e.data.rows.workloads[i]), y[i], p[i]);
  }
  svg += fmt::format(
      "<text x='260' y='450' text-anchor='middle' font-size='12'>actual "
      "{} (log scale)</text><text x='15' y='220' font-size='12' "
      "transform='rotate(-90 15 220)' text-anchor='middle'>predicted (log "
      "scale)</text>"
      "<text x='62' y='434' font-size='10'>{}</text>"
      "<text x='458' y='434' font-size='10' text-anchor='end'>{}</text>",
      HtmlEscape(e.options.target), Num(bottom, 2), Num(top, 2));
  return svg + "</svg>";
}

std::string ResidualsByKind(const Evaluation& e, const SchemeResult& s) {
  std::map<std::string, std::vector<double>> by_kind;
  double lo = 0, hi = 0;
  for (size_t i = 0; i < e.data.rows.rows(); ++i) {
    const double r = s.methods[0].predictions[i] - e.data.rows.labels[i];
    by_kind[e.data.kinds[i]].push_back(r);
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  if (hi <= lo) hi = lo + 1;
  const int row_h = 36;
  const int h = 40 + row_h * static_cast<int>(by_kind.size());
  const Axis x{lo, hi, 160, 580};
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='600' height='{}' "
      "role='img' aria-label='residuals by kind'><line x1='{:.1f}' y1='10' "
      "x2='{:.1f}' y2='{}' stroke='#888'/>",
      h, x(0), x(0), h - 20);
  int row = 0;
  for (const auto& [kind, residuals] : by_kind) {
    const int cy = 30 + row_h * row;
    svg += fmt::format(
        "<text x='150' y='{}' text-anchor='end' font-size='12'>{} "
        "({})</text>",
        cy + 4, HtmlEscape(kind.empty() ? "(none)" : kind), residuals.size());
    for (size_t j = 0; j < residuals.size(); ++j) {
      const double jitter = static_cast<double>((j * 7919) % 21) - 10;
      svg += fmt::format(
          "<circle cx='{:.1f}' cy='{:.1f}' r='2.5' fill='{}' "
          "fill-opacity='0.45'/>",
          x(residuals[j]), cy + jitter, kColors[row % 8]);
    }
    ++row;
  }
  svg += fmt::format(
      "<text x='160' y='{}' font-size='10'>{}</text><text x='580' y='{}' "
      "font-size='10' text-anchor='end'>{}</text><text x='370' y='{}' "
      "font-size='11' text-anchor='middle'>predicted − actual</text>",
      h - 5, Num(lo, 2), h - 5, Num(hi, 2), h - 5);
  return svg + "</svg>";
}

std::string Bars(const std::vector<std::pair<std::string, double>>& bars,
                 double reference, const std::string& label, bool percent) {
  double hi = reference;
  for (const auto& [name, value] : bars)
    if (std::isfinite(value)) hi = std::max(hi, value);
  if (hi <= 0) hi = 1;
  const int bar_h = 24;
  const int h = 30 + bar_h * static_cast<int>(bars.size());
  const Axis x{0, hi, 230, 560};
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='620' height='{}' "
      "role='img' aria-label='{}'>",
      h, HtmlEscape(label));
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = 10 + bar_h * static_cast<int>(i);
    const double v = std::isfinite(bars[i].second) ? bars[i].second : 0;
    svg += fmt::format(
        "<text x='222' y='{}' text-anchor='end' font-size='12'>{}</text>"
        "<rect x='230' y='{}' width='{:.1f}' height='{}' fill='{}'/>"
        "<text x='{:.1f}' y='{}' font-size='11'>{}</text>",
        y + 15, HtmlEscape(bars[i].first), y + 3, x(v) - 230, bar_h - 6,
        kColors[i % 8], x(v) + 4, y + 15,
        percent ? Pct(bars[i].second) : Num(bars[i].second));
  }
  if (reference > 0) {
    svg += fmt::format(
        "<line x1='{:.1f}' y1='5' x2='{:.1f}' y2='{}' stroke='#000' "
        "stroke-dasharray='5 3'/><text x='{:.1f}' y='{}' font-size='10' "
        "text-anchor='middle'>stated {}</text>",
        x(reference), x(reference), h - 15, x(reference), h - 3,
        Pct(reference));
  }
  return svg + "</svg>";
}

std::string MethodTable(const SchemeResult& s) {
  std::string t =
      "<table><tr><th>method</th><th>MAE</th><th>RMSE</th><th>MAPE</th>"
      "<th>MAPE rows</th><th>R²</th></tr>";
  for (const auto& m : s.methods) {
    t += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>",
        HtmlEscape(m.name), Num(m.overall.mae), Num(m.overall.rmse),
        Pct(m.overall.mape), m.overall.mape_n, Num(m.overall.r2));
  }
  return t + "</table>";
}

std::string GroupHtmlTable(const std::string& title,
                           const std::vector<GroupScores>& groups) {
  std::string t = fmt::format(
      "<table><tr><th>{}</th><th>rows</th><th>model MAE</th><th>model MAPE</th>"
      "<th>best baseline</th><th>its MAE</th><th>interval coverage</th></tr>",
      HtmlEscape(title));
  for (const auto& g : groups) {
    t += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}"
        "</td><td>{}</td></tr>",
        HtmlEscape(g.key.empty() ? "(none)" : g.key), g.model.n,
        Num(g.model.mae), Pct(g.model.mape), HtmlEscape(g.best_baseline_name),
        Num(g.best_baseline.mae), Pct(g.coverage));
  }
  return t + "</table>";
}

std::string WorstTable(const Evaluation& e, const SchemeResult& s) {
  const auto& y = e.data.rows.labels;
  const auto& p = s.methods[0].predictions;
  std::vector<size_t> order(y.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::fabs(p[a] - y[a]) > std::fabs(p[b] - y[b]);
  });
  std::string t =
      "<table><tr><th>workload</th><th>kind</th><th>namespace</th>"
      "<th>actual</th><th>predicted</th><th>interval</th><th>tie</th>"
      "<th>neighbours (training fold)</th></tr>";
  // One line per workload (its worst row): repeated rows of one workload
  // would otherwise fill the table.
  std::set<std::string> shown;
  for (size_t r = 0; r < order.size() && shown.size() < e.options.worst; ++r) {
    const size_t i = order[r];
    if (!shown.insert(e.data.rows.workloads[i]).second) continue;
    t += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{} – {}</td><td>{}</td><td class='n'>{}</td></tr>",
        HtmlEscape(e.data.rows.workloads[i]), HtmlEscape(e.data.kinds[i]),
        HtmlEscape(e.data.namespaces[i]), Num(y[i]), Num(p[i]), Num(s.low[i]),
        Num(s.high[i]), s.decided_by_tie[i] ? "yes" : "",
        HtmlEscape(s.neighbours[i]));
  }
  return t + "</table>";
}

const GroupScores* FindGroup(const std::vector<GroupScores>& groups,
                             const std::string& key) {
  for (const auto& g : groups)
    if (g.key == key) return &g;
  return nullptr;
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The closing note quotes the seen/unseen-family split and coverage so the
// reader gets the headline numbers without reading the tables.
std::string RenderReport(const Evaluation& e) {
  const auto& d = e.data;
  const auto& o = e.options;
  const std::string unit = Unit(o.target);
  std::string h =
      "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
      "<meta name='generator' content='" +
      HtmlEscape(VersionLine()) +
      "'>"
      "<title>podpower model evaluation</title><style>"
      "body{font-family:sans-serif;max-width:1000px;margin:2em auto;"
      "color:#222}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;"
      "text-align:right}td:first-child,th:first-child{text-align:left}"
      "td.n{text-align:left;font-size:11px}.note{background:#f4f4e8;"
      "padding:1em;border-left:4px solid #aa8}</style></head><body>";
  h += "<h1>podpower model evaluation</h1>";
  h += fmt::format(
      "<p>Training rows <code>{}</code>, target <code>{}</code> ({}): {} rows "
      "from {} workloads{}. Model: {}; KNN k={}, {}, {}. Metrics pool every "
      "out-of-fold "
      "prediction; MAPE only over labels &gt; {}. Image families: {} of {} "
      "rows matched. CPU baseline uses {}.</p>",
      HtmlEscape(d.source), HtmlEscape(o.target), HtmlEscape(unit),
      d.rows.rows(), d.workloads,
      d.dropped_non_finite
          ? fmt::format(" ({} rows with a non-finite label dropped)",
                        d.dropped_non_finite)
          : std::string(),
      HtmlEscape(e.schemes.front().methods.front().name), o.knn.k,
      model::MetricName(o.knn.metric), model::WeightsName(o.knn.weights),
      o.mape_floor, d.family_matched, d.rows.rows(), HtmlEscape(d.cpu_source));
  for (const auto& s : e.schemes) {
    h += fmt::format("<h2>{} ({} folds)</h2>", HtmlEscape(s.name), s.folds);
    h += fmt::format(
        "<p>Original-style line (mean of fold scores): <code>CV MAE: {:.3f} ± "
        "{:.3f} | R2: {:.3f}</code>{}. {} of {} neighbour searches were "
        "decided "
        "by ties at the k-th distance.</p>",
        s.fold_mae_mean, s.fold_mae_std, s.fold_r2_mean,
        o.compare_line.empty()
            ? std::string()
            : "; compare with <code>" + HtmlEscape(o.compare_line) + "</code>",
        s.tie_decided, d.rows.rows());
    h += "<h3>Error by method</h3>" + MethodTable(s);
    std::vector<std::pair<std::string, double>> mae;
    for (const auto& m : s.methods) mae.emplace_back(m.name, m.overall.mae);
    h += Bars(mae, 0, "MAE by method", false);
    if (&s != &e.schemes.front()) continue;
    h += "<h3>Predicted vs actual (the model, log-log; red = decided by "
         "ties)</h3>" +
         Scatter(e, s);
    h += "<h3>Residuals by workload kind</h3>" + ResidualsByKind(e, s);
    h += fmt::format(
        "<h3>Interval coverage</h3><p>Stated {}; cross-fitted coverage {} "
        "(each fold calibrated on the others' residuals), mean width {} "
        "{}.</p>",
        Pct(o.interval_level), Pct(s.coverage), Num(s.mean_width),
        HtmlEscape(unit));
    std::vector<std::pair<std::string, double>> coverage{
        {"all rows", s.coverage}};
    for (const auto& g : s.by_kind) coverage.emplace_back(g.key, g.coverage);
    for (const auto& g : s.by_family_seen)
      coverage.emplace_back(g.key, g.coverage);
    h += Bars(coverage, o.interval_level, "interval coverage", true);
    h += "<h3>Breakdowns</h3>" + GroupHtmlTable("family", s.by_family_seen) +
         GroupHtmlTable("workload kind", s.by_kind) +
         GroupHtmlTable("namespace", s.by_namespace);
    h += "<h3>Worst predictions (worst row of each workload)</h3>" +
         WorstTable(e, s);
  }
  if (e.searched) {
    h += fmt::format(
        "<h2>Setting search</h2><p>Best by grouped CV MAE: <b>{}</b> (MAE {}, "
        "optimistic since it was chosen on these folds). Nested CV MAE of "
        "the whole choosing procedure: <b>{}</b>.</p><table><tr><th>setting"
        "</th><th>CV MAE</th></tr>",
        HtmlEscape(model::DescribeOptions(e.search.best)),
        Num(e.search.best_mae), Num(e.search.nested_mae));
    for (const auto& sc : e.search.scores) {
      h += fmt::format("<tr><td>{}</td><td>{}</td></tr>",
                       HtmlEscape(model::DescribeOptions(sc.options)),
                       Num(sc.mae));
    }
    h += "</table>";
  }
  const auto& s = e.schemes.front();
  std::string split;
  for (const char* key : {"seen family", "unseen family"}) {
    // Unseen families: the family-grouped scheme when there is one (all its
    // predictions are for unseen families), else whatever scheme 1 held out.
    const SchemeResult* source = &s;
    if (std::string(key) == "unseen family") {
      for (const auto& other : e.schemes)
        if (other.name.find("by image family") != std::string::npos)
          source = &other;
    }
    const GroupScores* g = FindGroup(source->by_family_seen, key);
    if (g == nullptr) {
      split += fmt::format("no {} workloads; ", key);
    } else {
      split += fmt::format(
          "{} workloads ({} rows, {}): MAE {} {}, MAPE {}, interval coverage "
          "{}; ",
          key, g->model.n, HtmlEscape(source->name), Num(g->model.mae),
          HtmlEscape(unit), Pct(g->model.mape), Pct(g->coverage));
    }
  }
  h += fmt::format(
      "<h2>Closing note</h2><p class='note'>Under {}, the model's MAE is {} {} "
      "(MAPE {}, R² {}) against {} for the best baseline ({}). {}the {} "
      "interval covered {} of held-out labels. {}</p>",
      HtmlEscape(s.name), Num(s.methods[0].overall.mae), HtmlEscape(unit),
      Pct(s.methods[0].overall.mape), Num(s.methods[0].overall.r2),
      Num(BestBaseline(s).overall.mae), HtmlEscape(BestBaseline(s).name),
      HtmlEscape(split), Pct(o.interval_level), Pct(s.coverage),
      d.family_matched == 0
          ? "Image families were unknown (no --requests), so the seen/unseen "
            "split is empty."
          : "");
  // Which build wrote the report, so a figure quoted from it can be traced.
  h += "<p><small>Written by " + HtmlEscape(VersionLine()) + ".</small></p>";
  h += "</body></html>\n";
  return h;
}

}  // namespace podpower::evaluate
