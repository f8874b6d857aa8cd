// Two processes writing the same keys at the same moment, for every store: compare_and_set must be atomic across
// processes, not only across threads.
#include "child_process.hpp"
#include "store_fixture.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace checkpoint_test {
namespace {

// How often a helper's counter update lost to the other process ("retries <n>"), for the log.
std::string collisions(const std::string& output) {
    const auto at = output.find("retries ");
    return at == std::string::npos ? "?" : output.substr(at + 8, output.find('\n', at) - at - 8);
}

class TwoProcessRace : public ::testing::TestWithParam<std::string> {};

TEST_P(TwoProcessRace, ExactlyOneWinnerPerRoundAndNoLostUpdate) {
    constexpr int rounds = 50;
    ScratchDirectory scratch;
    const std::string path = store_path(GetParam(), scratch.path()).string();
    ChildProcess a({CHECKPOINT_STORE_HELPER, "race", GetParam(), path, "A", std::to_string(rounds)});
    ChildProcess b({CHECKPOINT_STORE_HELPER, "race", GetParam(), path, "B", std::to_string(rounds)});
    // Lockstep: before each step both processes wait until the other is ready too, so that every step is a real race
    // (otherwise one process may run ahead and find every key already written).
    auto step = [&](const std::string& what) {
        EXPECT_EQ(a.read_line(), "ready") << what;
        EXPECT_EQ(b.read_line(), "ready") << what;
        a.write_line("go");
        b.write_line("go");
        return std::pair(a.read_line(), b.read_line());
    };
    std::vector<std::string> winner(rounds);
    for (int round = 0; round < rounds; ++round) {
        const auto [result_a, result_b] = step("round " + std::to_string(round));
        ASSERT_TRUE((result_a == "won" && result_b == "lost") || (result_a == "lost" && result_b == "won"))
            << "round " << round << ": exactly one process must win; A " << result_a << ", B " << result_b;
        winner[round] = result_a == "won" ? "A" : "B";
        const auto [added_a, added_b] = step("counter " + std::to_string(round));
        ASSERT_EQ(added_a + " " + added_b, "added added") << "counter " << round;
    }
    const std::string rest_a = a.read_all();
    const std::string rest_b = b.read_all();
    ASSERT_EQ(a.wait(), 0) << rest_a;
    ASSERT_EQ(b.wait(), 0) << rest_b;

    StoreLoader loader;
    auto store = loader.create(GetParam(), boost::json::object{{"path", path}});
    for (int round = 0; round < rounds; ++round) {
        const auto record = store->get("round/" + std::to_string(round));
        ASSERT_TRUE(record.has_value());
        EXPECT_EQ(record->data, winner[round]) << "round " << round << ": the record is the winner's";
        EXPECT_EQ(record->version, 1u);
    }
    // Every increment of both processes is there: none overwrote another.
    const auto counter = store->get("counter");
    ASSERT_TRUE(counter.has_value());
    EXPECT_EQ(counter->data, std::to_string(2 * rounds));
    EXPECT_EQ(counter->version, static_cast<std::uint64_t>(2 * rounds));
    std::cout << "[   INFO   ] rounds won: A " << std::count(winner.begin(), winner.end(), "A") << ", B "
              << std::count(winner.begin(), winner.end(), "B") << "; counter collisions: A " << collisions(rest_a)
              << ", B " << collisions(rest_b) << "\n";
}

INSTANTIATE_TEST_SUITE_P(Stores, TwoProcessRace, every_store, store_test_name);

}  // namespace
}  // namespace checkpoint_test
