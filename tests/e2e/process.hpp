// Runs a program the way the Airbyte platform runs a connector: argv, stdin from a file or a pipe,
// stdout read line by line, stderr kept in a temporary file, an exit status with a time limit.
// posix_spawn only; every descriptor this side opens is close-on-exec, so the child holds just 0-2.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace e2e {

struct exit_status {
    bool exited = false;    // normal exit: code is valid
    int code = -1;
    int signal = 0;         // killed by this signal
    bool timed_out = false; // we killed it at the time limit

    std::string describe() const {
        if (timed_out) return "timed out (killed)";
        if (exited) return "exit " + std::to_string(code);
        if (signal) return std::string("signal ") + strsignal(signal);
        return "not finished";
    }
};

inline std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t at = 0;
    while (at < text.size()) {
        auto nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(at, nl - at));
        at = nl + 1;
    }
    return lines;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_file(const std::string& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("short write to " + path);
}

// A temporary directory removed (with its files, one level) by the destructor.
class temp_dir {
public:
    temp_dir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/e2e-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
        path_ = buf.data();
    }
    ~temp_dir() {
        for (auto& f : files_) ::unlink(f.c_str());
        ::rmdir(path_.c_str());
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }
    // A path for a file in this directory (removed with it; the directory holds only such files).
    std::string file(const std::string& name) {
        auto p = path_ + "/" + name;
        files_.push_back(p);
        return p;
    }

private:
    std::string path_;
    std::vector<std::string> files_;
};

class child {
public:
    // stdin_path empty: stdin is a pipe fed with write_stdin(). stderr goes to stderr_path.
    child(const std::vector<std::string>& argv, const std::string& stdin_path, const std::string& stderr_path) {
        int out[2], in[2] = {-1, -1};
        if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        if (stdin_path.empty() && ::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (stdin_path.empty())
            posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        else
            posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(out[1]);
        if (in[0] >= 0) ::close(in[0]);
        out_fd_ = out[0];
        in_fd_ = in[1];
        if (rc != 0) {
            close_fds();
            throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
        }
    }
    ~child() {
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        close_fds();
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const { return pid_; }

    // Writes all of data to the child's stdin; false once the child has closed it (EPIPE).
    // SIGPIPE must be ignored by the process (the test main does so).
    bool write_stdin(std::string_view data) {
        while (!data.empty()) {
            auto n = ::write(in_fd_, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    void close_stdin() {
        if (in_fd_ >= 0) ::close(in_fd_);
        in_fd_ = -1;
    }

    // The next stdout line (without '\n'); nullopt at end of output or when the time is up
    // (eof() tells which). A last line without '\n' is returned at end of output.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto nl = buf_.find('\n');
            if (nl != std::string::npos) {
                auto line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            if (eof_) {
                if (buf_.empty()) return std::nullopt;
                auto line = std::move(buf_);
                buf_.clear();
                return line;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            if (!fill(left)) return std::nullopt;
        }
    }
    bool eof() const { return eof_ && buf_.empty(); }

    // Everything left on stdout until end of output or the deadline.
    std::string read_rest(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!eof_) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            fill(left);
        }
        auto rest = std::move(buf_);
        buf_.clear();
        return rest;
    }

    void kill(int sig) {
        if (!reaped_) ::kill(pid_, sig);
    }

    // Waits for the exit; at the time limit the child is killed (SIGKILL) and timed_out is set.
    exit_status wait(std::chrono::milliseconds timeout) {
        if (reaped_) return status_;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        int st = 0;
        for (;;) {
            auto r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) break;
            if (r < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
            if (std::chrono::steady_clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
                status_.timed_out = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        reaped_ = true;
        if (WIFEXITED(st)) {
            status_.exited = true;
            status_.code = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
            status_.signal = WTERMSIG(st);
        }
        return status_;
    }

private:
    // Reads what stdout has within the time left; false on timeout.
    bool fill(std::chrono::milliseconds left) {
        pollfd p{out_fd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0) return errno == EINTR;
        if (r == 0) return false;
        char chunk[65536];
        auto n = ::read(out_fd_, chunk, sizeof chunk);
        if (n > 0)
            buf_.append(chunk, static_cast<std::size_t>(n));
        else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            eof_ = true;
        return true;
    }
    void close_fds() {
        if (out_fd_ >= 0) ::close(out_fd_);
        if (in_fd_ >= 0) ::close(in_fd_);
        out_fd_ = in_fd_ = -1;
    }

    pid_t pid_ = -1;
    int out_fd_ = -1, in_fd_ = -1;
    std::string buf_;
    bool eof_ = false, reaped_ = false;
    exit_status status_;
};

struct run_result {
    exit_status status;
    std::string out, err;
    std::vector<std::string> out_lines() const { return split_lines(out); }
};

// Runs argv to completion with stdin from stdin_path ("/dev/null" for none).
inline run_result run(const std::vector<std::string>& argv, const std::string& stdin_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(300)) {
    temp_dir dir;
    auto err_path = dir.file("stderr");
    run_result r;
    {
        child c(argv, stdin_path, err_path);
        auto deadline = std::chrono::steady_clock::now() + timeout;
        r.out = c.read_rest(timeout);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        r.status = c.wait(std::max(left, std::chrono::milliseconds(1000)));
    }
    r.err = read_file(err_path);
    return r;
}

}  // namespace e2e
