// Staging tables: where a sync that replaces a stream's rows (overwrite, or a refresh that keeps no
// older generation) writes them until the stream is complete; the commit then copies them into the
// final table. No I/O: statement texts and the decisions, unit-tested.
//
// A staging table has the final table's columns as regular columns, keyed by the attempt that
// wrote the row and the row's number within that attempt:
//   "_airbyte_run" uuid, "_airbyte_bucket" bigint   partition key: one attempt, 4096 rows
//   "_airbyte_seq" bigint                           clustering: the record's number in the attempt
//   "_airbyte_covered" bigint STATIC                the attempt's watermark (bucket 0 only)
//   then the final table's columns.
// A retry of the same generation resumes the table (the Airbyte protocol allows it), but only what
// an emitted STATE covered is durable: the source sends again everything after its last emitted
// STATE. So before a STATE that covers records of a resumable staging table goes out, the number
// of the attempt's records it covers is written as that attempt's watermark; the commit copies an
// earlier attempt's row only when its number is below that attempt's watermark, and every row of
// the committing attempt (all of them acknowledged). A resumed table thus never holds a record
// twice (the source re-sends what no STATE covered) and never loses one that an emitted STATE
// covered.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cql/result.hpp"

namespace airbyte::staging {

using column_list = std::vector<std::pair<std::string, std::string>>;  // (name, CQL type), in bind order

constexpr std::uint64_t bucket_rows = 4096;
inline std::int64_t bucket_of(std::uint64_t seq) noexcept { return static_cast<std::int64_t>(seq / bucket_rows); }

// `table` is the qualified name ("ks"."t"); `columns` are the final table's.
std::string create_table(const std::string& table, const column_list& columns);
// Every column of the staging table with its type as system_schema.columns reports it.
std::map<std::string, std::string> expected_columns(const column_list& columns);
// Binds run, bucket, seq, then the final columns (then the timestamp when asked).
std::string insert(const std::string& table, const column_list& columns, bool with_timestamp);
// Binds run, covered, timestamp.
std::string write_watermark(const std::string& table);
// Every attempt's partitions and watermark: run, bucket, covered.
std::string read_watermarks(const std::string& table);
// Every row: run, seq, then the final columns in bind order.
std::string read_rows(const std::string& table, const column_list& columns);

// Which rows the commit copies (see above).
class resume_filter {
public:
    explicit resume_filter(cql::uuid_bytes current_run) : current_(current_run) {}
    // A row of read_watermarks: covered is absent outside bucket 0 and before a first STATE.
    void add_watermark(const cql::uuid_bytes& run, std::optional<std::int64_t> covered);
    bool keep(const cql::uuid_bytes& run, std::int64_t seq) const;
    // Earlier attempts found, and how many of their rows are kept at most (for the log).
    std::size_t earlier_runs() const noexcept { return covered_.size(); }

private:
    cql::uuid_bytes current_;
    std::map<cql::uuid_bytes, std::int64_t> covered_;  // earlier attempts (the current one excluded)
};

// Per resumable stream, the watermark written and the one the states waiting to go out need.
// States go out in order once every watermark they need is written; one round of writes at a time.
class watermark_plan {
public:
    explicit watermark_plan(std::size_t streams) : written_(streams, 0), resumable_(streams, false) {}
    void set_resumable(std::size_t stream, bool on) { resumable_.at(stream) = on; }
    // A state that covers (stream, n) pairs is waiting to go out.
    void add_waiting(const std::vector<std::pair<std::size_t, std::uint64_t>>& covers);
    // When no round is in flight: the (stream, covered) watermarks to write before every waiting
    // state may go; empty when none is needed (then ready() says how many states may go at once).
    std::vector<std::pair<std::size_t, std::uint64_t>> start_round();
    // The round's writes all succeeded.
    void finish_round();
    bool in_flight() const noexcept { return in_flight_; }
    // How many of the waiting states may go out now (front first); the caller removes them with take().
    std::size_t ready() const noexcept { return in_flight_ ? 0 : released_; }
    void take(std::size_t n);

private:
    std::vector<std::uint64_t> written_;
    std::vector<bool> resumable_;
    std::vector<std::vector<std::pair<std::size_t, std::uint64_t>>> waiting_;  // covers, per waiting state
    std::vector<std::pair<std::size_t, std::uint64_t>> round_;
    std::size_t round_states_ = 0;  // waiting states the round in flight covers
    std::size_t released_ = 0;      // waiting states whose watermarks are written
    bool in_flight_ = false;
};

}  // namespace airbyte::staging
