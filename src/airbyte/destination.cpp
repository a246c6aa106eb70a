#include "airbyte/destination.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <set>

#include "airbyte/cassandra_ops.hpp"
#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/line_reader.hpp"
#include "airbyte/message_scanner.hpp"
#include "airbyte/metrics_log.hpp"
#include "airbyte/names.hpp"
#include "airbyte/schema_ops.hpp"
#include "airbyte/staging.hpp"
#include "airbyte/state_tracker.hpp"
#include "airbyte/table_format.hpp"

namespace airbyte {

namespace {

using cql::cql_value;
using clock_type = std::chrono::steady_clock;

std::int64_t now_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string qualified(const std::string& ks, const std::string& table) { return quote_identifier(ks) + "." + quote_identifier(table); }


struct target {
    configured_stream stream;
    std::unique_ptr<stream_format> format;  // raw or typed (table_format.hpp)
    table_names names;
    bool rebuild = false;     // staged, and the final table is dropped and created again at the commit
    bool staged = false;      // writes go to the staging table, committed at the end
    bool hold_acks = false;   // staged without a generation: its states wait for the commit
    bool resumable = false;   // staged with a generation: a watermark goes before its states
    bool committed = false;
    cql::prepared_statement watermark;  // resumable
    cql::prepared_statement insert;
    cql::prepared_statement delete_older;  // dedup
    cql::prepared_statement cdc_delete;    // dedup
    std::uint64_t records = 0, bytes = 0;  // acknowledged
    std::string label;                     // for messages: "ns.name"
    std::string last_status;               // the source's last TRACE STREAM_STATUS for it, if any
};

class write_job final : public completion_sink {
public:
    write_job(const connector_config& cfg, const std::vector<configured_stream>& streams, output& out)
        : cfg_(cfg),
          out_(out),
          db_(cfg.session(), static_cast<std::size_t>(cfg.max_in_flight), std::max<std::size_t>(64u << 20, cfg.max_record_bytes * 2),
              std::chrono::seconds(cfg.retry_window_seconds)),
          tracker_(streams.size()),
          plan_(streams.size()) {
        run_id_ = db_.random_uuid();
        db_.on_warning([this](const std::string& m) { out_.log("WARN", m); });
        for (const auto& s : streams) {
            target t;
            t.stream = s;
            t.label = (s.ns ? *s.ns + "." : "") + s.name;
            targets_.push_back(std::move(t));
        }
    }

    int run(int fd);

private:
    int fail(failure_type type, const std::string& message) {
        out_.trace_error(type, message);
        out_.log("ERROR", message);
        out_.log("INFO", describe_client_metrics(db_.metrics()));  // what the client met on the way
        return 1;
    }
    int fail(const op_error& e) { return fail(classify(e.ec), e.message); }

    std::optional<op_error> set_up();
    std::optional<op_error> commit(target& t);
    // Reads the input; returns an input error message ("line N: ...") or nullopt at a clean end.
    std::optional<std::string> read_input(int fd);
    std::optional<std::string> on_record(const scanned_message& m, std::size_t bytes);
    std::optional<std::string> on_state(const scanned_message& m);
    void on_trace(const scanned_message& m);
    std::size_t find_stream(const std::optional<std::string>& ns, const std::string& name) const;
    void emit_ready();  // with m_ held; watermark writes it needs go to to_send_
    // Takes the states that are ready and emits them, writing the watermarks they need first.
    void release_states();
    void send_watermarks(std::vector<std::pair<std::size_t, std::uint64_t>> round);
    void progress(bool final);
    // The records' writes, in batches on the client's thread (cassandra_ops::submit's sink).
    void completed(std::span<const completion> batch) override;

    const connector_config& cfg_;
    output& out_;
    cassandra_ops db_;
    std::vector<target> targets_;
    std::mutex m_;  // tracker_ and the per-target counters
    state_tracker tracker_;
    staging::watermark_plan plan_;
    std::deque<ready_state> waiting_;  // ready, waiting for their watermarks (in plan_'s order)
    std::vector<std::pair<std::size_t, std::uint64_t>> to_send_;
    cql::uuid_bytes run_id_{};         // this attempt's rows in staging tables
    std::uint64_t states_emitted_ = 0;
    std::int64_t last_watermark_us_ = 0;
    record_values rec_;  // the record being written (its vectors reused)
    // The statements being built, handed to cassandra_ops and back (their vectors reused).
    cql::bound_statement stmt_, del_stmt_;
    // Dedup records not raw-staged write two statements: those with one outcome in, and whether it
    // succeeded (client's thread, under m_).
    std::map<std::pair<std::size_t, std::uint64_t>, bool> halves_;
    clock_type::time_point started_ = clock_type::now(), last_progress_ = started_;
    std::uint64_t input_bytes_ = 0;
};

std::size_t write_job::find_stream(const std::optional<std::string>& ns, const std::string& name) const {
    std::size_t by_name = state_tracker::no_stream, named = 0;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
        const auto& s = targets_[i].stream;
        if (s.name != name) continue;
        if (s.ns == ns || (s.ns && ns && *s.ns == *ns)) return i;
        by_name = i;
        ++named;
    }
    // A record without a namespace for a stream the catalog gives one (or the reverse): accept it
    // when the name alone is unambiguous.
    if (named == 1 && (!ns || ns->empty())) return by_name;
    return state_tracker::no_stream;
}

std::optional<op_error> write_job::set_up() {
    std::vector<stream_key> keys;
    std::vector<std::string> keyspaces;
    for (const auto& t : targets_) {
        keys.push_back({t.stream.ns.value_or(""), t.stream.name});
        const bool own = cfg_.namespaces && t.stream.ns && !t.stream.ns->empty();
        keyspaces.push_back(own ? sanitize_name(*t.stream.ns) : cfg_.keyspace);
    }
    auto names = assign_tables(keys, keyspaces, cfg_.format == table_format::typed);
    std::set<std::string> created;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
        auto& t = targets_[i];
        t.names = names[i];
        const auto& ks = t.names.keyspace;
        std::string format_error;
        t.format = make_stream_format(cfg_, t.stream, format_error);
        if (!t.format) return op_error{make_error_code(cql::client_errc::invalid_config), format_error};
        // Keyspace and final table are created only when system_schema lacks them: a role with no
        // CREATE permission can write into ones that exist.
        if (created.insert(ks).second)
            if (auto e = ensure_keyspace(db_, cfg_, ks)) return e;
        const std::string final_label = ks + "." + t.names.final_table;
        std::vector<schema_column> have;
        if (auto e = read_columns(db_, ks, t.names.final_table, have)) return e;
        if (have.empty()) {
            if (auto e = db_.run("creating table " + final_label, t.format->create_table(ks, t.names.final_table))) return e;
            if (auto e = read_columns(db_, ks, t.names.final_table, have)) return e;
        }
        std::vector<std::string> alters;
        if (auto problem = t.format->reconcile(have, ks, t.names.final_table, alters)) {
            // A replaced stream may rebuild its table: dropped and created again at the commit,
            // so the previous rows stay readable until the sync succeeds.
            if (!(t.stream.truncate && t.format->rebuilds_at_commit()))
                return op_error{make_error_code(cql::client_errc::invalid_config), *problem};
            t.rebuild = true;
            out_.log("WARN", "stream " + t.label + ": " + *problem + "; this sync replaces the stream, so " + final_label +
                                 " is dropped and created again with the stream's schema when the sync commits");
        }
        for (const auto& ddl : alters) {
            out_.log("INFO", "stream " + t.label + ": " + ddl);
            if (auto e = db_.run("altering table " + final_label, ddl)) return e;
        }
        bool ok = false;
        std::string table = t.names.final_table;
        if (t.stream.truncate) {
            t.staged = true;
            t.hold_acks = !t.stream.generation_id.has_value();
            t.resumable = !t.hold_acks;
            plan_.set_resumable(i, t.resumable);
            table = t.names.staging_table;
            const std::string full = ks + "." + table;
            const auto& cols = t.format->columns();
            const std::string create = staging::create_table(qualified(ks, table), cols);
            // A staging table made here is empty: no TRUNCATE for it (which needs every node up).
            if (auto e = read_columns(db_, ks, table, have)) return e;
            bool fresh = have.empty();
            if (fresh)
                if (auto e = db_.run("creating staging table " + full, create)) return e;
            if (auto e = read_columns(db_, ks, table, have)) return e;
            const table_key staging_key{{"_airbyte_run", "_airbyte_bucket"}, {{"_airbyte_seq", "asc"}}};
            ok = !table_mismatch(staging::expected_columns(cols), staging_key, have);
            if (!ok) {  // ours, from an older shape of the stream or of the connector: start it again
                if (auto e = db_.run("dropping staging table " + full, "DROP TABLE IF EXISTS " + qualified(ks, table))) return e;
                if (auto e = db_.run("creating staging table " + full, create)) return e;
                fresh = true;
            }
            const std::string marker = t.stream.generation_id ? "airbyte generation " + std::to_string(*t.stream.generation_id) : "";
            cql::result r;
            if (auto e = db_.run("reading staging table " + full,
                                 "SELECT comment FROM system_schema.tables WHERE keyspace_name = " + quote_literal(ks) +
                                     " AND table_name = " + quote_literal(table),
                                 &r))
                return e;
            const std::string comment = r.size() ? r.get_text(0, 0).value_or("") : "";
            if (!marker.empty() && comment == marker) {
                out_.log("INFO", "stream " + t.label + ": resuming generation " + std::to_string(*t.stream.generation_id) +
                                     " in staging table " + full +
                                     " (rows of earlier attempts that an emitted STATE covered are kept)");
            } else {
                if (!fresh)
                    if (auto e = db_.run("emptying staging table " + full, "TRUNCATE " + qualified(ks, table))) return e;
                if (auto e = db_.run("marking staging table " + full,
                                     "ALTER TABLE " + qualified(ks, table) + " WITH comment = " +
                                         quote_literal(marker.empty() ? "airbyte staging" : marker)))
                    return e;
            }
        }
        const bool dedup = t.stream.mode == write_mode::append_dedup;
        if (t.staged) {
            // Rows are plain in the staging table; the commit applies dedup on the way to the final table.
            if (auto e = db_.prepare("preparing the insert into " + ks + "." + table,
                                     staging::insert(qualified(ks, table), t.format->columns(), false), t.insert))
                return e;
            if (t.resumable)
                if (auto e = db_.prepare("preparing the watermark of " + ks + "." + table,
                                         staging::write_watermark(qualified(ks, table)), t.watermark))
                    return e;
        } else if (auto e = db_.prepare("preparing the insert into " + ks + "." + table,
                                        t.format->insert_query(ks, table, dedup, cfg_.ttl_seconds), t.insert)) {
            return e;
        }
        if (dedup && !t.staged) {
            if (auto e = db_.prepare("preparing the dedup delete on " + ks + "." + table, t.format->delete_older_query(ks, table),
                                     t.delete_older))
                return e;
            if (auto e = db_.prepare("preparing the CDC delete on " + ks + "." + table, t.format->cdc_delete_query(ks, table),
                                     t.cdc_delete))
                return e;
        }
        out_.log("INFO", "stream " + t.label + " (" + write_mode_name(t.stream.mode) + (t.stream.truncate ? ", replacing" : "") +
                             ") -> " + ks + "." + t.names.final_table + (t.staged ? " via " + table : ""));
    }
    return std::nullopt;
}

void write_job::emit_ready() {
    for (auto& s : tracker_.take_ready()) {
        // Committed streams need no watermark any more: their staging tables are gone.
        auto covers = s.covers;
        std::erase_if(covers, [&](const auto& c) { return targets_[c.first].committed; });
        plan_.add_waiting(covers);
        waiting_.push_back(std::move(s));
    }
    for (;;) {
        const std::size_t n = plan_.ready();
        for (std::size_t i = 0; i < n; ++i) {
            out_.state(waiting_.front().json, waiting_.front().record_count);
            waiting_.pop_front();
            ++states_emitted_;
        }
        plan_.take(n);
        if (plan_.in_flight() || waiting_.empty()) return;
        auto round = plan_.start_round();
        if (!round.empty()) {
            to_send_ = std::move(round);
            return;
        }
    }
}

void write_job::release_states() {
    std::vector<std::pair<std::size_t, std::uint64_t>> round;
    {
        std::lock_guard lock(m_);
        emit_ready();
        round.swap(to_send_);
    }
    if (!round.empty()) send_watermarks(std::move(round));
}

// Writes each stream's watermark (sent outside the window: this runs on the client's thread, which
// must never wait for room); once all are written, the states that needed them go out.
void write_job::send_watermarks(std::vector<std::pair<std::size_t, std::uint64_t>> round) {
    auto left = std::make_shared<std::atomic<std::size_t>>(round.size());
    auto failed = std::make_shared<std::atomic<bool>>(false);
    for (const auto& [idx, covered] : round) {
        cql::bound_statement b{targets_[idx].watermark, {}, {}};
        b.options.idempotent = true;
        b.values.emplace_back(run_id_);
        b.values.emplace_back(static_cast<std::int64_t>(covered));
        {
            std::lock_guard lock(m_);
            last_watermark_us_ = std::max(now_micros(), last_watermark_us_ + 1);  // a later watermark always wins
            b.values.emplace_back(last_watermark_us_);
        }
        db_.submit_now(std::move(b), 64, [this, left, failed](std::error_code ec, const cql::result&) {
            if (ec) *failed = true;
            if (--*left > 0 || *failed) return;  // a failure fails the sync: those states never go out
            {
                std::lock_guard lock(m_);
                plan_.finish_round();
            }
            release_states();
        });
    }
}

std::optional<std::string> write_job::on_record(const scanned_message& m, std::size_t bytes) {
    if (m.stream.empty()) return "record has no \"stream\"";
    const std::size_t idx = find_stream(m.ns, m.stream);
    if (idx == state_tracker::no_stream)
        return "record for stream " + json_quote((m.ns ? *m.ns + "." : "") + m.stream) + ", which is not in the catalog";
    if (!m.has_data) return "record has no data";
    if (!m.data_is_object) return "record data must be a JSON object";
    if (!m.has_emitted_at) return "record has no emitted_at";
    auto& t = targets_[idx];
    const bool dedup = t.stream.mode == write_mode::append_dedup;
    // The row's id is random, fixed per record: a retried write writes the same row.
    if (auto e = t.format->bind(m, db_.random_uuid(), rec_)) return *e;
    const bool cdc = rec_.cdc_delete && !t.staged;  // staged: the commit applies the CDC delete
    const bool with_delete = dedup && !t.staged;     // staged: the commit applies dedup
    auto& b = stmt_;
    b.prepared = cdc ? t.cdc_delete : t.insert;
    b.values.clear();
    b.options = {};
    b.options.idempotent = true;
    if (cdc) {
        std::swap(b.values, rec_.delete_values);
    } else {
        if (t.staged) {
            b.values.reserve(rec_.columns.size() + 5);
            b.values.resize(3);  // the attempt, bucket and number: set once the record is numbered
            std::move(rec_.columns.begin(), rec_.columns.end(), std::back_inserter(b.values));
        } else {
            std::swap(b.values, rec_.columns);  // the format's vector as it is (and b's, empty, back to it)
        }
        if (with_delete) b.values.emplace_back(dedup_write_timestamp);
        if (!dedup) b.options.timestamp = now_micros();
        if (!t.staged && cfg_.ttl_seconds > 0) b.values.emplace_back(static_cast<std::int32_t>(cfg_.ttl_seconds));
    }
    record_ref ref;
    {
        std::lock_guard lock(m_);
        ref = tracker_.add_record(idx);
    }
    if (t.staged) {  // see staging.hpp
        b.values[0] = cql_value(run_id_);
        b.values[1] = cql_value(staging::bucket_of(ref.index));
        b.values[2] = cql_value(static_cast<std::int64_t>(ref.index));
    }
    // The record counts as written once every statement for it succeeded (two for dedup); the
    // tag says which record, stream, size, whether its acks are held, and whether it has two.
    const bool pair = with_delete && !cdc;
    const completion_tag tag{ref.slot, ref.index, bytes,
                             idx | (std::uint64_t(t.hold_acks) << 32) | (std::uint64_t(pair) << 33)};
    if (pair) {
        auto& d = del_stmt_;
        d.prepared = t.delete_older;
        d.values.clear();
        std::swap(d.values, rec_.delete_values);
        d.options = {};
        d.options.idempotent = true;
        if (!db_.submit(d, 64, *this, tag)) return std::nullopt;
    }
    db_.submit(b, bytes, *this, tag);
    return std::nullopt;
}

void write_job::completed(std::span<const completion> batch) {
    {
        std::lock_guard lock(m_);
        for (const auto& c : batch) {
            const record_ref ref{static_cast<std::size_t>(c.tag.a), c.tag.b};
            const std::size_t idx = c.tag.d & 0xFFFFFFFFu;
            const bool hold = (c.tag.d >> 32) & 1, pair = (c.tag.d >> 33) & 1;
            bool ok = !c.ec;
            if (pair) {
                auto [it, first] = halves_.try_emplace({ref.slot, ref.index}, ok);
                if (first) continue;
                ok = ok && it->second;
                halves_.erase(it);
            }
            if (!ok) continue;  // a failure fails the sync: no state covers this record
            targets_[idx].records++;
            targets_[idx].bytes += c.tag.c;
            if (!hold) tracker_.ack(ref);
        }
    }
    release_states();
}

void write_job::on_trace(const scanned_message& m) {
    if (m.trace_type != "STREAM_STATUS" || m.status_stream.empty()) return;
    const std::size_t idx = find_stream(m.status_ns, m.status_stream);
    if (idx == state_tracker::no_stream) return;  // a stream the catalog does not sync
    if (m.stream_status == "STARTED" || m.stream_status == "RUNNING" || m.stream_status == "COMPLETE" || m.stream_status == "INCOMPLETE")
        targets_[idx].last_status = m.stream_status;
}

std::optional<std::string> write_job::on_state(const scanned_message& m) {
    if (!m.has_state) return "STATE message without a state object";
    const bool global = m.state_type == "GLOBAL" || m.state_type == "LEGACY";
    std::size_t idx = state_tracker::no_stream;
    if (m.state_type == "STREAM") {
        if (m.state_stream.empty()) return "STREAM state without stream.stream_descriptor.name";
        idx = find_stream(m.state_ns, m.state_stream);
    } else if (!global) {
        return "state type " + json_quote(m.state_type) + " is not STREAM, GLOBAL or LEGACY";
    }
    {
        std::lock_guard lock(m_);
        tracker_.add_state(std::string(m.state_json), idx, global);
    }
    release_states();
    return std::nullopt;
}

void write_job::progress(bool final) {
    const auto now = clock_type::now();
    if (!final && now - last_progress_ < std::chrono::seconds(5)) return;
    last_progress_ = now;
    const double secs = std::max(1e-3, std::chrono::duration<double>(now - started_).count());
    std::string per_stream;
    std::uint64_t records = 0, bytes = 0;
    {
        std::lock_guard lock(m_);
        for (const auto& t : targets_) {
            records += t.records;
            bytes += t.bytes;
            if (t.records) per_stream += (per_stream.empty() ? "" : ", ") + t.label + ": " + std::to_string(t.records);
        }
    }
    std::string retries;
    if (auto n = db_.retried()) {
        retries = "; " + std::to_string(n) + " writes retried";
        if (auto last = db_.last_retried_failure()) retries += " (last failure: " + last->message + ")";
    }
    char rate[160];
    std::snprintf(rate, sizeof rate, "%llu records written in %.1f s (%.0f records/s, %.2f MB/s of input)",
                  static_cast<unsigned long long>(records), secs, static_cast<double>(records) / secs,
                  static_cast<double>(input_bytes_) / secs / 1e6);
    out_.log("INFO", std::string(final ? "done: " : "progress: ") + rate + (per_stream.empty() ? "" : "; " + per_stream) +
                         "; " + std::to_string(states_emitted_) + " states emitted" + retries);
    if (final) out_.log("INFO", describe_client_metrics(db_.metrics()));
}

std::optional<std::string> write_job::read_input(int fd) {
    line_reader in(fd, cfg_.max_record_bytes);
    in.before_read([this] { db_.flush(); });
    message_scanner scanner(true, cfg_.format == table_format::typed);  // typed: the data's members too
    scanned_message m;
    std::string error;
    for (;;) {
        std::string_view line;
        const auto st = in.next(line);
        input_bytes_ = in.bytes_read();
        const std::string where = "line " + std::to_string(in.line_number()) + ": ";
        if (st == line_reader::status::eof) return std::nullopt;
        if (st == line_reader::status::error) return "reading the input failed: " + std::string(std::strerror(errno));
        if (st == line_reader::status::too_long)
            return where + "message longer than max_record_bytes (" + std::to_string(cfg_.max_record_bytes) + " bytes)";
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (std::memchr(line.data(), '\0', line.size())) return where + "a NUL byte in the message";
        if (!scanner.scan(line, m, error)) return where + error;
        std::optional<std::string> e;
        switch (m.type) {
            case message_type::record: e = on_record(m, line.size()); break;
            case message_type::state: e = on_state(m); break;
            case message_type::other_known: on_trace(m); break;
            case message_type::unknown:
                e = m.type_name.empty() ? "message without a \"type\"" : "unknown message type " + json_quote(m.type_name);
                break;
        }
        if (e) return where + *e;
        if (db_.failed()) return std::nullopt;
        db_.pump_retries();
        if ((in.line_number() & 1023) == 0) progress(false);
    }
}

std::optional<op_error> write_job::commit(target& t) {
    const auto& ks = t.names.keyspace;
    const std::string fin = qualified(ks, t.names.final_table), stg = qualified(ks, t.names.staging_table);
    const std::string label = ks + "." + t.names.final_table;
    const auto& cols = t.format->columns();
    const std::size_t columns = cols.size();
    const bool dedup = t.stream.mode == write_mode::append_dedup;
    const bool unset_nulls = cfg_.protocol_version >= 4;  // a null cell read back is left unset: no tombstone
    if (t.rebuild) {
        // The final table cannot hold the stream's new schema (set_up logged why): it is replaced
        // now that the sync succeeded, with the staging table's layout.
        if (auto e = db_.run("dropping " + label + " to rebuild it", "DROP TABLE IF EXISTS " + fin)) return e;
        if (auto e = db_.run("creating " + label, t.format->create_table(ks, t.names.final_table))) return e;
        out_.log("INFO", "stream " + t.label + ": " + label + " rebuilt with the stream's schema");
    }
    cql::prepared_statement insert, del, cdc_del;
    if (auto e = db_.prepare("committing " + label, t.format->insert_query(ks, t.names.final_table, true, cfg_.ttl_seconds), insert))
        return e;

    // Which rows of earlier attempts an emitted STATE covered (see staging.hpp).
    staging::resume_filter filter(run_id_);
    cql::statement marks(staging::read_watermarks(stg));
    marks.options.page_size = 5000;
    marks.options.idempotent = true;
    for (;;) {
        cql::result page;
        if (auto e = db_.run("reading the watermarks of " + ks + "." + t.names.staging_table, marks, &page)) return e;
        for (std::size_t i = 0; i < page.size(); ++i)
            if (auto run = page.get_uuid(i, 0)) filter.add_watermark(*run, page.get_int64(i, 2));
        if (!page.paging_state()) break;
        marks.options.paging_state = page.paging_state();
    }
    std::uint64_t copied = 0, skipped = 0;
    // Rows read: run, seq, then the final columns; the bound values are the final columns.
    auto take_row = [&](const cql::result& r, std::size_t row, std::vector<cql_value>& values, std::int64_t timestamp) {
        auto run = r.get_uuid(row, 0);
        auto seq = r.get_int64(row, 1);
        if (!run || !seq) return false;  // a watermark without rows (bucket 0 before any record)
        if (!filter.keep(*run, *seq)) {
            ++skipped;
            return false;
        }
        std::error_code ec;
        for (std::size_t c = 0; c < columns; ++c) {
            values.push_back(r.value(row, 2 + c, ec));
            if (unset_nulls && values.back().is_null()) values.back() = cql_value::unset();
        }
        values.emplace_back(timestamp);
        if (cfg_.ttl_seconds > 0) values.emplace_back(static_cast<std::int32_t>(cfg_.ttl_seconds));
        ++copied;
        return !ec;
    };
    const std::string select = staging::read_rows(stg, cols);
    if (dedup) {
        // Dedup rows are written with one fixed timestamp and shadowed by range tombstones at that
        // timestamp, so the final table must be emptied first: a short window in which readers see
        // the table fill up again. Each staged row goes in as the sync itself writes a dedup row.
        if (auto e = db_.prepare("committing " + label, t.format->delete_older_query(ks, t.names.final_table), del)) return e;
        if (auto e = db_.prepare("committing " + label, t.format->cdc_delete_query(ks, t.names.final_table), cdc_del)) return e;
        if (auto e = db_.run("emptying " + label, "TRUNCATE " + fin)) return e;
        if (auto e = db_.copy("copying the staged rows into " + label, select,
                              [&](const cql::result& r, std::size_t row, std::vector<cql::bound_statement>& out) {
                                  cql::bound_statement ins{insert, {}, {}};
                                  if (!take_row(r, row, ins.values, dedup_write_timestamp)) return;
                                  const bool cdc = t.format->row_is_cdc_delete(ins.values);
                                  cql::bound_statement d{cdc ? cdc_del : del, {}, {}};
                                  t.format->row_delete_values(ins.values, d.values);
                                  if (!cdc) out.push_back(std::move(ins));  // hard CDC delete: no row
                                  out.push_back(std::move(d));
                              }))
            return e;
    } else {
        // The new rows get one timestamp S; then every row of the table written at another
        // time goes. Until this finishes readers see the previous rows (and the new ones).
        const std::int64_t s = now_micros();
        if (auto e = db_.copy("copying the staged rows into " + label, select,
                              [&](const cql::result& r, std::size_t row, std::vector<cql::bound_statement>& out) {
                                  cql::bound_statement ins{insert, {}, {}};
                                  if (take_row(r, row, ins.values, s)) out.push_back(std::move(ins));
                              }))
            return e;
        // A row is named by its primary key (raw: the id; typed: key columns, extracted_at, id).
        const auto key = t.format->row_key();
        std::string where, names;
        for (const auto& k : key) {
            where += (where.empty() ? "" : " AND ") + quote_identifier(k) + " = ?";
            names += quote_identifier(k) + ", ";
        }
        if (auto e = db_.prepare("committing " + label, "DELETE FROM " + fin + " USING TIMESTAMP ? WHERE " + where, del)) return e;
        if (auto e = db_.copy("removing the previous rows of " + label,
                              "SELECT " + names + "WRITETIME(" + quote_identifier(t.format->written_column()) + ") FROM " + fin,
                              [&](const cql::result& r, std::size_t row, std::vector<cql::bound_statement>& out) {
                                  auto wt = r.get_int64(row, key.size());
                                  if (wt && *wt == s) return;  // this sync's row
                                  cql::bound_statement d{del, {}, {}};
                                  d.values.emplace_back(!wt || *wt < s ? s - 1 : *wt);
                                  std::error_code ec;
                                  for (std::size_t k = 0; k < key.size(); ++k) d.values.push_back(r.value(row, k, ec));
                                  if (ec || r.is_null(row, 0)) return;
                                  out.push_back(std::move(d));
                              }))
            return e;
    }
    if (auto e = db_.run("dropping staging table " + ks + "." + t.names.staging_table, "DROP TABLE IF EXISTS " + stg)) return e;
    {
        std::lock_guard lock(m_);
        t.committed = true;
    }
    out_.log("INFO", "stream " + t.label + ": " + label + " now holds this sync's rows (" + std::to_string(copied) + " rows" +
                         (filter.earlier_runs() ? ", of which " + std::to_string(copied > t.records ? copied - t.records : 0) +
                                                      " from " + std::to_string(filter.earlier_runs()) +
                                                      " earlier attempt(s) that emitted STATEs covered; " + std::to_string(skipped) +
                                                      " rows no STATE covered were left out"
                                                : std::string()) +
                         ")");
    return std::nullopt;
}

int write_job::run(int fd) {
    if (auto e = db_.connect()) return fail(*e);
    if (auto e = set_up()) return fail(*e);
    auto input_error = read_input(fd);
    auto write_error = db_.drain();
    // The states whose records are in, after their watermarks (which drain waits for).
    release_states();
    if (auto e = db_.drain(); e && !write_error) write_error = e;
    if (write_error) {
        // Records after the failed one may have landed, but no state covering the failed one goes out.
        return fail(classify(write_error->ec), "writing to Cassandra failed: " + write_error->message);
    }
    if (input_error) return fail(failure_type::system_error, "bad input: " + *input_error);
    bool held_back = false;
    for (auto& t : targets_) {
        if (!t.staged) continue;
        // A source that reports stream statuses and did not report this one COMPLETE stopped
        // short (e.g. it failed): replacing the table would lose the previous rows for a part.
        if (!t.last_status.empty() && t.last_status != "COMPLETE") {
            out_.log("WARN", "stream " + t.label + ": the source's last status is " + t.last_status +
                                 ", not COMPLETE: " + t.names.keyspace + "." + t.names.final_table +
                                 " keeps its previous rows; this sync's rows stay in " + t.names.staging_table +
                                 (t.hold_acks ? "" : " for a retry of the same generation"));
            held_back = held_back || t.hold_acks;
            continue;
        }
        if (auto e = commit(t)) return fail(*e);
    }
    if (!held_back) {
        std::lock_guard lock(m_);
        tracker_.ack_all();  // held streams are committed now
    }
    release_states();
    if (auto e = db_.drain()) return fail(classify(e->ec), "writing to Cassandra failed: " + e->message);
    progress(true);
    return 0;
}

}  // namespace

int run_write(const connector_config& cfg, const std::vector<configured_stream>& streams, int input_fd, output& out) {
    write_job job(cfg, streams, out);
    return job.run(input_fd);
}

int run_check(const connector_config& cfg, output& out) {
    cassandra_ops db(cfg.session(), 16, 1u << 20);
    db.on_warning([&out](const std::string& m) { out.log("WARN", m); });
    auto failed = [&](const op_error& e) {
        std::string hint;
        if (e.ec == cql::client_errc::authentication_failed) hint = " (check username and password)";
        else if (e.ec == cql::client_errc::tls_handshake_failed) hint = " (check the TLS mode and certificates)";
        else if (classify(e.ec) == failure_type::transient_error) hint = " (check that the address and port are right and the nodes are up)";
        out.connection_status(false, e.message + hint);
        return 0;
    };
    if (auto e = db.connect()) return failed(*e);
    if (auto e = ensure_keyspace(db, cfg, cfg.keyspace)) return failed(*e);
    char name[40];
    std::snprintf(name, sizeof name, "airbyte_check_%08x", static_cast<unsigned>(db.random_uuid()[0] << 24 | db.random_uuid()[1] << 16 | db.random_uuid()[2]));
    const std::string table = qualified(cfg.keyspace, name);
    if (auto e = db.run("creating a probe table", "CREATE TABLE IF NOT EXISTS " + table + " (id uuid PRIMARY KEY, v text)")) return failed(*e);
    auto drop = [&] { return db.run("dropping the probe table", "DROP TABLE IF EXISTS " + table); };
    const auto id = db.random_uuid();
    cql::statement ins("INSERT INTO " + table + " (id, v) VALUES (?, ?)");
    ins.values.push_back({cql::data_type::of(cql::type_id::uuid), cql_value{id}});
    ins.values.push_back({cql::data_type::of(cql::type_id::varchar), cql_value{std::string("airbyte check")}});
    if (auto e = db.run("writing to the probe table", ins)) {
        drop();
        return failed(*e);
    }
    cql::result r;
    cql::statement sel("SELECT v FROM " + table);
    if (auto e = db.run("reading the probe table", sel, &r)) {
        drop();
        return failed(*e);
    }
    if (r.size() != 1 || r.get_text(0, 0).value_or("") != "airbyte check") {
        drop();
        out.connection_status(false, "the probe row read back from " + cfg.keyspace + " differs from the one written");
        return 0;
    }
    if (auto e = drop()) return failed(*e);
    out.connection_status(true, "");
    return 0;
}

}  // namespace airbyte
