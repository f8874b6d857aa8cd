#include "submission_record.hpp"

#include <hpcexec/errors.hpp>

#include <boost/json.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

namespace hpcexec {
namespace json = boost::json;

namespace {

std::optional<std::uint64_t> process_start_ticks(std::int64_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (text.empty()) return std::nullopt;
    // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    // Fields 3..22: starttime is the 20th after the parenthesis.
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 22) return std::stoull(field);
    }
    return std::nullopt;
}

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const json::value& member(const json::object& o, std::string_view name, const std::string& where) {
    const auto* v = o.if_contains(name);
    if (!v) throw CheckpointError(where + ": corrupt submission record: '" + std::string(name) + "' is missing");
    return *v;
}

std::string string_member(const json::object& o, std::string_view name, const std::string& where) {
    const auto& v = member(o, name, where);
    if (!v.is_string()) throw CheckpointError(where + ": corrupt submission record: '" + std::string(name) + "' is not a string");
    return std::string(v.get_string());
}

}  // namespace

SubmissionOwner SubmissionOwner::self() {
    SubmissionOwner owner;
    owner.host = host_name();
    owner.pid = getpid();
    owner.start_ticks = process_start_ticks(owner.pid).value_or(0);
    owner.claimed_at = now_seconds();
    return owner;
}

bool SubmissionOwner::presumed_alive(std::int64_t lease_seconds) const {
    if (host != host_name()) return now_seconds() < claimed_at + lease_seconds;
    auto ticks = process_start_ticks(pid);
    return ticks && *ticks == start_ticks;
}

std::string SubmissionRecord::serialize() const {
    json::object o;
    o["format"] = 1;
    o["stage"] = stage == Stage::submitting ? "submitting" : "submitted";
    o["token"] = token;
    o["owner"] = json::object{{"host", owner.host}, {"pid", owner.pid}, {"start_ticks", owner.start_ticks},
                              {"claimed_at", owner.claimed_at}};
    json::array args;
    for (const auto& a : request.extra_args) args.emplace_back(a);
    o["request"] = json::object{{"script", request.script}, {"cwd", request.cwd}, {"extra_args", std::move(args)}};
    if (job) o["job"] = json::object{{"id", job->job_id}, {"cwd", job->cwd}, {"script_name", job->script_name}};
    return json::serialize(o);
}

SubmissionRecord SubmissionRecord::parse(std::string_view bytes, const std::string& store, const std::string& key) {
    const std::string where = "checkpoint " + store + " key '" + key + "'";
    boost::system::error_code ec;
    json::value doc = json::parse(bytes, ec);
    if (ec || !doc.is_object()) throw CheckpointError(where + ": corrupt submission record: not a JSON object");
    const auto& o = doc.get_object();
    SubmissionRecord record;
    try {
        if (member(o, "format", where).to_number<int>() != 1) {
            throw CheckpointError(where + ": submission record of an unknown format");
        }
        std::string stage = string_member(o, "stage", where);
        if (stage == "submitting") record.stage = Stage::submitting;
        else if (stage == "submitted") record.stage = Stage::submitted;
        else throw CheckpointError(where + ": corrupt submission record: unknown stage '" + stage + "'");
        record.token = string_member(o, "token", where);
        const auto& owner = member(o, "owner", where).as_object();
        record.owner.host = string_member(owner, "host", where);
        record.owner.pid = member(owner, "pid", where).to_number<std::int64_t>();
        record.owner.start_ticks = member(owner, "start_ticks", where).to_number<std::uint64_t>();
        record.owner.claimed_at = member(owner, "claimed_at", where).to_number<std::int64_t>();
        const auto& request = member(o, "request", where).as_object();
        record.request.script = string_member(request, "script", where);
        record.request.cwd = string_member(request, "cwd", where);
        for (const auto& a : member(request, "extra_args", where).as_array()) record.request.extra_args.emplace_back(a.as_string());
        record.request.token = record.token;
        if (const auto* job = o.if_contains("job")) {
            const auto& j = job->as_object();
            record.job = JobRef{string_member(j, "id", where), string_member(j, "cwd", where),
                                string_member(j, "script_name", where)};
        }
    } catch (const CheckpointError&) {
        throw;
    } catch (const std::exception& e) {
        throw CheckpointError(where + ": corrupt submission record: " + e.what());
    }
    if (record.stage == Stage::submitted && !record.job) {
        throw CheckpointError(where + ": corrupt submission record: submitted but no job");
    }
    return record;
}

std::string new_submission_token() {
    std::random_device random;
    std::string token = "hpcexec-";
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) token += hex[random() % 16];
    return token;
}

}  // namespace hpcexec
