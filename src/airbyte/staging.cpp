#include "airbyte/staging.hpp"

#include <algorithm>

#include "airbyte/names.hpp"

namespace airbyte::staging {

namespace {

const char* const keyed = R"("_airbyte_run" uuid, "_airbyte_bucket" bigint, "_airbyte_seq" bigint, "_airbyte_covered" bigint static)";

std::string names(const column_list& columns) {
    std::string out;
    for (const auto& [name, type] : columns) out += ", " + quote_identifier(name);
    return out;
}

}  // namespace

std::string create_table(const std::string& table, const column_list& columns) {
    std::string q = "CREATE TABLE IF NOT EXISTS " + table + " (" + keyed;
    for (const auto& [name, type] : columns) q += ", " + quote_identifier(name) + " " + type;
    return q + R"(, PRIMARY KEY (("_airbyte_run", "_airbyte_bucket"), "_airbyte_seq")))";
}

std::map<std::string, std::string> expected_columns(const column_list& columns) {
    std::map<std::string, std::string> out{
        {"_airbyte_run", "uuid"}, {"_airbyte_bucket", "bigint"}, {"_airbyte_seq", "bigint"}, {"_airbyte_covered", "bigint"}};
    for (const auto& [name, type] : columns) out[name] = type;
    return out;
}

std::string insert(const std::string& table, const column_list& columns, bool with_timestamp) {
    std::string marks = "?, ?, ?";
    for (std::size_t i = 0; i < columns.size(); ++i) marks += ", ?";
    return "INSERT INTO " + table + R"( ("_airbyte_run", "_airbyte_bucket", "_airbyte_seq")" + names(columns) + ") VALUES (" +
           marks + ")" + (with_timestamp ? " USING TIMESTAMP ?" : "");
}

std::string write_watermark(const std::string& table) {
    return "INSERT INTO " + table + R"( ("_airbyte_run", "_airbyte_bucket", "_airbyte_covered") VALUES (?, 0, ?) USING TIMESTAMP ?)";
}

std::string read_watermarks(const std::string& table) {
    return R"(SELECT DISTINCT "_airbyte_run", "_airbyte_bucket", "_airbyte_covered" FROM )" + table;
}

std::string read_rows(const std::string& table, const column_list& columns) {
    return R"(SELECT "_airbyte_run", "_airbyte_seq")" + names(columns) + " FROM " + table;
}

void resume_filter::add_watermark(const cql::uuid_bytes& run, std::optional<std::int64_t> covered) {
    if (run == current_) return;
    auto& c = covered_.try_emplace(run, 0).first->second;
    if (covered) c = std::max(c, *covered);
}

bool resume_filter::keep(const cql::uuid_bytes& run, std::int64_t seq) const {
    if (run == current_) return true;
    auto it = covered_.find(run);
    return it != covered_.end() && seq >= 0 && seq < it->second;
}

void watermark_plan::add_waiting(const std::vector<std::pair<std::size_t, std::uint64_t>>& covers) {
    waiting_.push_back(covers);
    if (!in_flight_ && released_ == waiting_.size() - 1) {
        // Nothing to write for it: it may go with the ones before it.
        bool needs = false;
        for (const auto& [s, n] : covers)
            if (s < resumable_.size() && resumable_[s] && n > written_[s]) needs = true;
        if (!needs) ++released_;
    }
}

std::vector<std::pair<std::size_t, std::uint64_t>> watermark_plan::start_round() {
    round_.clear();
    if (in_flight_ || released_ == waiting_.size()) return round_;
    std::map<std::size_t, std::uint64_t> want;
    for (std::size_t i = released_; i < waiting_.size(); ++i)
        for (const auto& [s, n] : waiting_[i])
            if (s < resumable_.size() && resumable_[s] && n > written_[s]) want[s] = std::max(want[s], n);
    if (want.empty()) {
        released_ = waiting_.size();
        return round_;
    }
    round_.assign(want.begin(), want.end());
    round_states_ = waiting_.size();
    in_flight_ = true;
    return round_;
}

void watermark_plan::finish_round() {
    if (!in_flight_) return;
    for (const auto& [s, n] : round_) written_[s] = std::max(written_[s], n);
    released_ = round_states_;
    in_flight_ = false;
    // States that arrived meanwhile and need nothing new go too.
    while (released_ < waiting_.size()) {
        bool needs = false;
        for (const auto& [s, n] : waiting_[released_])
            if (s < resumable_.size() && resumable_[s] && n > written_[s]) needs = true;
        if (needs) break;
        ++released_;
    }
}

void watermark_plan::take(std::size_t n) {
    n = std::min(n, released_);
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    released_ -= n;
    round_states_ = round_states_ >= n ? round_states_ - n : 0;
}

}  // namespace airbyte::staging
