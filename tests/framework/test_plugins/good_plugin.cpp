// A well-formed test plugin: a queue system "testqueue" (configurable, rejects unknown keys) and a serializer.
#include <hpcexec/config_reader.hpp>
#include <hpcexec/plugin.hpp>
#include <hpcexec/queue_system.hpp>
#include <hpcexec/serializer.hpp>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <thread>

namespace {

// Counts live objects of this library, so the tests can see that a component is destroyed exactly once.
std::atomic<int> live_objects{0};

class TestQueue : public hpcexec::QueueSystem {
public:
    TestQueue(std::chrono::milliseconds interval, int failing_queries)
        : interval_(interval), failing_queries_(failing_queries) {
        ++live_objects;
    }
    ~TestQueue() override { --live_objects; }
    // The job id names the thread the submission ran on: the tests check that it is the kernel's loop thread.
    boost::asio::awaitable<hpcexec::JobRef> submit(hpcexec::SubmitRequest request) override {
        co_return hpcexec::JobRef{std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())),
                                  request.cwd, "job.sh"};
    }
    // Every job has completed; the first `failing_queries` queries throw an exception that is not an hpcexec::Error
    // (a shim: no real plugin is known to throw one, and the poller must survive it all the same).
    boost::asio::awaitable<std::map<std::string, hpcexec::JobStatus>> query(
        std::vector<hpcexec::JobRef> jobs) override {
        if (failing_queries_ > 0) {
            --failing_queries_;
            throw std::runtime_error("the test queue's query fails on purpose");
        }
        std::map<std::string, hpcexec::JobStatus> statuses;
        for (const auto& job : jobs) statuses[job.job_id].state = hpcexec::JobState::completed;
        co_return statuses;
    }
    boost::asio::awaitable<std::vector<hpcexec::JobRef>> find_submitted(hpcexec::SubmitRequest) override {
        co_return std::vector<hpcexec::JobRef>{};
    }
    boost::asio::awaitable<void> cancel(std::vector<std::string>) override { co_return; }
    std::chrono::milliseconds polling_interval() const override { return interval_; }

private:
    std::chrono::milliseconds interval_;
    int failing_queries_;
};

class TestSerializer : public hpcexec::Serializer {
public:
    std::string name() const override { return "test"; }
    std::string media_type() const override { return "text/plain"; }
    std::string serialize(const hpcexec::Value& value) const override { return value.kind_name(); }
    hpcexec::Value deserialize(std::string_view bytes) const override { return std::string(bytes); }
};

std::unique_ptr<hpcexec::Component> make_queue(const hpcexec::ComponentContext& context) {
    hpcexec::ConfigReader reader(context.config, context.config_path);
    auto interval = reader.duration("polling_interval").value_or(std::chrono::seconds(10));
    auto failing_queries = reader.integer("failing_queries", 0, 1000).value_or(0);
    reader.finish();
    return std::make_unique<TestQueue>(interval, static_cast<int>(failing_queries));
}

std::unique_ptr<hpcexec::Component> make_serializer(const hpcexec::ComponentContext&) {
    return std::make_unique<TestSerializer>();
}

}  // namespace

// Lets the test read the live object count through dlsym-free means: exported for the test only.
extern "C" __attribute__((visibility("default"))) int hpcexec_test_live_objects() { return live_objects.load(); }

HPCEXEC_PLUGIN("test-good", "1.2.3",
               HPCEXEC_COMPONENT(queue_system, "testqueue", make_queue),
               HPCEXEC_COMPONENT(serializer, "test", make_serializer))
