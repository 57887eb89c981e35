// Plain-text tables for terminals: columns padded to their widest cell.
#pragma once

#include <string>
#include <vector>

namespace iopctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  // Missing cells render empty; extra cells are an error of the caller and
  // are dropped so the layout never breaks.
  void AddRow(std::vector<std::string> cells);
  size_t size() const { return rows_.size(); }

  // Header, then one line per row; columns separated by two spaces and the
  // last column not padded (no trailing blanks). Widths count UTF-8 code
  // points, so names such as "Zoë" line up.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text in code points (continuation bytes skipped).
size_t DisplayWidth(const std::string& text);

}  // namespace iopctl
