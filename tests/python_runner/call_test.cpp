// Calls through the local connector, in both worker modes: every Value kind through a real CPython and back,
// opaque objects, functions by reference and by source, keyword arguments, exceptions, printed output, cwd and
// python_cmd per call.
#include "python_test_support.hpp"

#include "common/expect_error.hpp"

#include <cmath>
#include <limits>

namespace python_test {
namespace {

using hpcexec::BigInt;
using hpcexec::Bytes;
using hpcexec::Dict;
using hpcexec::Kwarg;
using hpcexec::List;
using hpcexec::None;
using hpcexec::Opaque;
using hpcexec::PythonError;
using hpcexec::PythonFunction;
using hpcexec::Set;
using hpcexec::Tuple;
using hpcexec::Value;

class PythonCallTest : public LocalPythonTest, public ::testing::WithParamInterface<Mode> {
protected:
    void SetUp() override {
        LocalPythonTest::SetUp();
        executor_ = local_executor(GetParam());
    }
    std::shared_ptr<hpcexec::HpcExecutor> executor_;
};

const double nan = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

// Each value with the repr Python must see: the C++ side and the Python side agree on what was sent.
std::vector<std::pair<Value, std::string>> value_kinds() {
    return {
        {Value(), "None"},
        {Value(true), "True"},
        {Value(false), "False"},
        {Value(0), "0"},
        {Value(-7), "-7"},
        {Value(std::numeric_limits<std::int64_t>::max()), "9223372036854775807"},
        {Value(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808"},
        {Value(BigInt{"1267650600228229401496703205376"}), "1267650600228229401496703205376"},  // 2**100
        {Value(BigInt{"-1267650600228229401496703205377"}), "-1267650600228229401496703205377"},
        {Value(1.5), "1.5"},
        {Value(-0.0), "-0.0"},
        {Value(nan), "nan"},
        {Value(inf), "inf"},
        {Value(-inf), "-inf"},
        {Value(""), "''"},
        {Value("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e"), "'héllo ✓ 𝄞'"},
        {Value(Bytes{std::string("a\0b\0", 4)}), "b'a\\x00b\\x00'"},
        {Value(Bytes{}), "b''"},
        {Value(List{}), "[]"},
        {Value(Tuple{}), "()"},
        {Value(Dict{}), "{}"},
        {Value(Set{}), "set()"},
        {Value(Set{{}, true}), "frozenset()"},
        {Value(Tuple{{Value(1)}}), "(1,)"},
        {Value(List{Value(1), Value("two"), Value(List{Value(3.0), Value(Tuple{{Value(), Value(true)}})})}),
         "[1, 'two', [3.0, (None, True)]]"},
        {Value(Dict{{{Value(1), Value("int key")}, {Value(Tuple{{Value(1), Value(2)}}), Value(List{})}}}),
         "{1: 'int key', (1, 2): []}"},
        {Value(Set{{Value(Set{{Value(1)}, true})}, false}), "{frozenset({1})}"},
    };
}

TEST_P(PythonCallTest, EveryValueKindRoundTripsThroughCPython) {
    auto identity_fn = executor_->run_python_fn(identity());
    auto python_repr = executor_->run_python_fn(PythonFunction::ref("builtins:repr"));
    for (const auto& [value, repr] : value_kinds()) {
        SCOPED_TRACE(repr);
        EXPECT_EQ(identity_fn(value), value);
        EXPECT_EQ(python_repr(value), Value(repr));
    }
    // All of them at once, nested.
    List all;
    for (const auto& [value, repr] : value_kinds()) all.push_back(value);
    EXPECT_EQ(identity_fn(Value(all)), Value(all));
}

TEST_P(PythonCallTest, OpaqueObjectsPassIntoALaterCallUnchanged) {
    auto describe = executor_->run_python_fn(PythonFunction::source(
        "def describe(x):\n    return [type(x).__module__ + '.' + type(x).__qualname__, str(x)]\n", "describe"));

    Value fraction = executor_->run_python_fn(PythonFunction::ref("fractions:Fraction"))(1, 3);
    ASSERT_TRUE(fraction.is<Opaque>()) << fraction.repr();
    EXPECT_EQ(fraction.as<Opaque>().type_name, "fractions.Fraction");
    EXPECT_EQ(describe(fraction), Value(List{Value("fractions.Fraction"), Value("1/3")}));

    Value when = executor_->run_python_fn(PythonFunction::ref("datetime:datetime"))(2024, 2, 29, 13, 14, 15, 123456);
    ASSERT_TRUE(when.is<Opaque>());
    EXPECT_EQ(describe(when), Value(List{Value("datetime.datetime"), Value("2024-02-29 13:14:15.123456")}));

    Value decimal = executor_->run_python_fn(PythonFunction::ref("decimal:Decimal"))("1.10");
    ASSERT_TRUE(decimal.is<Opaque>());
    EXPECT_EQ(describe(decimal), Value(List{Value("decimal.Decimal"), Value("1.10")}));

    // Inside containers and through a second round trip, still the same objects.
    Value nested = executor_->run_python_fn(identity())(List{fraction, Dict{{{Value("when"), when}}}});
    auto check = executor_->run_python_fn(PythonFunction::source(
        "import datetime, fractions\n"
        "def check(items):\n"
        "    return items[0] == fractions.Fraction(1, 3) and items[1]['when'] == datetime.datetime(2024, 2, 29, "
        "13, 14, 15, 123456)\n",
        "check"));
    EXPECT_EQ(check(nested), Value(true));
}

TEST_P(PythonCallTest, FunctionsByReferenceAndBySource) {
    EXPECT_EQ(executor_->run_python_fn(PythonFunction::ref("operator:add"))(1, 2), Value(3));
    EXPECT_EQ(executor_->run_python_fn(PythonFunction::ref("os.path:join"))("a", "b"), Value("a/b"));
    // A qualname with a dot: a method looked up on a class.
    EXPECT_EQ(executor_->run_python_fn(PythonFunction::ref("builtins:str.upper"))("abc"), Value("ABC"));

    auto square =
        executor_->run_python_fn(PythonFunction::source("import math\n"
                                                        "class Shapes:\n"
                                                        "    @staticmethod\n"
                                                        "    def square(x):\n"
                                                        "        return x * x\n"
                                                        "calls = []\n"
                                                        "def counted(x):\n"
                                                        "    calls.append(x)\n"
                                                        "    return len(calls)\n",
                                                        "Shapes.square"));
    EXPECT_EQ(square(12), Value(144));
    EXPECT_EQ(square(1.5), Value(2.25));
    EXPECT_EQ(square(hpcexec::BigInt{"1267650600228229401496703205376"}),
              Value(BigInt{"1606938044258990275541962092341162602522202993782792835301376"}));
}

TEST_P(PythonCallTest, SourceIsExecutedOncePerWorker) {
    // A module-level counter: a persistent worker keeps it between calls, a process per call starts afresh.
    auto counted = executor_->run_python_fn(
        PythonFunction::source("calls = []\ndef counted():\n    calls.append(1)\n    return len(calls)\n", "counted"));
    counted();
    Value second = counted();
    if (executor_->python().persistent()) {
        EXPECT_GE(second.to<int>(), 1);  // 2 when the same worker served both (2 workers: not guaranteed)
    } else {
        EXPECT_EQ(second, Value(1));
    }
}

TEST_P(PythonCallTest, KeywordArguments) {
    auto f = executor_->run_python_fn(
        PythonFunction::source("def f(a, b=0, *, c=1, **rest):\n    return [a, b, c, sorted(rest.items())]\n", "f"));
    EXPECT_EQ(f.call({1}, {{"b", 2}, {"c", 3}}), Value(List{Value(1), Value(2), Value(3), Value(List{})}));
    EXPECT_EQ(f(1, Kwarg{"c", "x"}, Kwarg{"z", 9}),
              Value(List{Value(1), Value(0), Value("x"), Value(List{Value(Tuple{{Value("z"), Value(9)}})})}));
    EXPECT_EQ(executor_->run_python_fn(PythonFunction::ref("builtins:sorted"))
                  .call({List{Value(3), Value(1), Value(2)}}, {{"reverse", true}}),
              Value(List{Value(3), Value(2), Value(1)}));
}

TEST_P(PythonCallTest, ExceptionsCarryTypeMessageAndTraceback) {
    try {
        executor_->run_python_fn(PythonFunction::ref("operator:truediv"))(1, 0);
        FAIL() << "no exception";
    } catch (const PythonError& error) {
        EXPECT_EQ(error.stage(), PythonError::Stage::call);
        EXPECT_EQ(error.exception_type(), "ZeroDivisionError");
        EXPECT_EQ(error.message(), "division by zero");
        EXPECT_EQ(error.function(), "operator:truediv");
        EXPECT_EQ(error.target(), "local");
        // A C function has no Python frames: the traceback is just the exception's line.
        EXPECT_NE(error.traceback().find("ZeroDivisionError: division by zero"), std::string::npos)
            << error.traceback();
        EXPECT_NE(std::string(error.what())
                      .find("operator:truediv on local raised ZeroDivisionError: division by "
                            "zero"),
                  std::string::npos)
            << error.what();
    }

    auto fail =
        executor_->run_python_fn(PythonFunction::source("class BadInput(ValueError):\n"
                                                        "    pass\n"
                                                        "\n"
                                                        "def check(x):\n"
                                                        "    print('checking', x)\n"
                                                        "    raise BadInput(f'no good: {x}')\n",
                                                        "check"));
    try {
        fail(42);
        FAIL() << "no exception";
    } catch (const PythonError& error) {
        EXPECT_EQ(error.stage(), PythonError::Stage::call);
        EXPECT_TRUE(error.exception_type().starts_with("hpcexec_source_")) << error.exception_type();
        EXPECT_TRUE(error.exception_type().ends_with(".BadInput")) << error.exception_type();
        EXPECT_EQ(error.message(), "no good: 42");
        EXPECT_NE(error.traceback().find("Traceback (most recent call last)"), std::string::npos) << error.traceback();
        // The traceback names the function and shows the source line (the worker's own frames are left out).
        EXPECT_NE(error.traceback().find("in check"), std::string::npos) << error.traceback();
        EXPECT_NE(error.traceback().find("raise BadInput(f'no good: {x}')"), std::string::npos) << error.traceback();
        EXPECT_EQ(error.traceback().find("hpcexec_worker"), std::string::npos) << error.traceback();
        EXPECT_NE(std::string(error.what()).find(error.traceback()), std::string::npos);
        EXPECT_EQ(error.output(), "checking 42\n");
    }
}

TEST_P(PythonCallTest, FailuresBeforeTheCallSayWhere) {
    auto missing = executor_->run_python_fn(PythonFunction::ref("no_such_module_hpcexec:f"));
    try {
        missing();
        FAIL() << "no exception";
    } catch (const PythonError& error) {
        EXPECT_EQ(error.stage(), PythonError::Stage::function);
        EXPECT_EQ(error.exception_type(), "ModuleNotFoundError");
        EXPECT_NE(std::string(error.what()).find("could not be loaded"), std::string::npos) << error.what();
    }
    auto syntax = executor_->run_python_fn(PythonFunction::source("def f(:\n", "f"));
    EXPECT_EQ(hpcexec::test::error_of<PythonError>([&] { syntax(); }).find("SyntaxError") != std::string::npos, true);

    // An argument the worker cannot unpickle: a reference to a module it does not have.
    Value unreadable(Opaque{"pickle", "no_such_module_hpcexec.thing",
                            std::string("\x80\x02"
                                        "cno_such_module_hpcexec\nthing\n.")});
    try {
        executor_->run_python_fn(identity())(unreadable);
        FAIL() << "no exception";
    } catch (const PythonError& error) {
        EXPECT_EQ(error.stage(), PythonError::Stage::request);
        EXPECT_EQ(error.exception_type(), "ModuleNotFoundError");
        EXPECT_NE(std::string(error.what()).find("could not read the call"), std::string::npos) << error.what();
    }

    // A result that cannot be pickled.
    auto unpicklable = executor_->run_python_fn(PythonFunction::source("def f():\n    return lambda: 1\n", "f"));
    try {
        unpicklable();
        FAIL() << "no exception";
    } catch (const PythonError& error) {
        EXPECT_EQ(error.stage(), PythonError::Stage::result);
        EXPECT_NE(std::string(error.what()).find("could not be sent back"), std::string::npos) << error.what();
    }

    // The worker is still fine afterwards.
    EXPECT_EQ(executor_->run_python_fn(PythonFunction::ref("operator:add"))(2, 2), Value(4));
}

TEST_P(PythonCallTest, PrintedOutputIsKeptApartFromTheValue) {
    auto chatty = executor_->run_python_fn(PythonFunction::source(
        "import os, sys\n"
        "def chatty(n):\n"
        "    print('to stdout', n)\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    sys.stdout.write('no newline')\n"
        "    os.write(1, b'raw bytes on fd 1\\n')   # below Python: must not corrupt the protocol\n"
        "    return n + 1\n",
        "chatty"));
    for (int i = 0; i < 3; ++i) {
        hpcexec::PythonResult result = chatty.call_with_output({i});
        EXPECT_EQ(result.value, Value(i + 1));
        EXPECT_EQ(result.output, "to stdout " + std::to_string(i) + "\nto stderr\nno newline");
    }
    EXPECT_EQ(chatty(10), Value(11));
}

TEST_P(PythonCallTest, CwdAndPythonCmdPerCall) {
    fs::create_directories(work_dir_ / "sub dir");
    auto getcwd = executor_->run_python_fn(PythonFunction::ref("os:getcwd"));
    EXPECT_EQ(getcwd(), Value(work_dir_.string()));
    hpcexec::PythonCallOptions options;
    options.cwd = "sub dir";
    EXPECT_EQ(executor_->run_python_fn(PythonFunction::ref("os:getcwd"), options)(),
              Value((work_dir_ / "sub dir").string()));
    // And back: the worker's directory is the call's, not the previous call's.
    EXPECT_EQ(getcwd(), Value(work_dir_.string()));

    options = {};
    options.python_cmd = std::string(HPCEXEC_TEST_PYTHON) + " -X utf8";
    auto utf8_mode = PythonFunction::source("import sys\ndef f():\n    return sys.flags.utf8_mode\n", "f");
    EXPECT_EQ(executor_->run_python_fn(utf8_mode, options)(), Value(1));
    EXPECT_EQ(executor_->run_python_fn(utf8_mode)(), Value(0));
}

TEST_P(PythonCallTest, AsyncCalls) {
    auto add = executor_->run_python_fn(PythonFunction::ref("operator:add"));
    auto future = boost::asio::co_spawn(
        executor_->kernel()->loop().executor(),
        [&]() -> boost::asio::awaitable<Value> {
            // (No braced lists in here: GCC 12 miscompiles initializer lists
            // inside coroutines.)
            List args(2, Value(1));
            args[1] = Value(2);
            Value a = co_await add.call_async(args);
            args[0] = a;
            args[1] = Value(4);
            hpcexec::PythonResult b = co_await add.call_with_output_async(args);
            co_return b.value;
        },
        boost::asio::use_future);
    EXPECT_EQ(future.get(), Value(7));
    std::vector<Value> values = call_concurrently(executor_, executor_->run_python_fn(identity()), 0);
    EXPECT_TRUE(values.empty());
}

// run_python_fn with a checkpoint key: a recorded value comes back without running Python again (also for a fresh
// executor, as after a restart); an exception is not recorded, so a failing call runs again.
TEST_P(PythonCallTest, CheckpointKeyMemoisesTheValueButNotAnException) {
    auto with_store = [&] {
        return hpcexec::HpcExecutor::from_config_text(
            "work_dir: '" + work_dir_.string() + "'\npython_cmd: '" + HPCEXEC_TEST_PYTHON + "'\npython: {workers: " +
            std::to_string(workers_of(GetParam())) + "}\ncheckpoint: {dir: {path: '" + (work_dir_ / "store").string() +
            "'}}\n");
    };
    // Each run appends a line to runs.txt (in work_dir, the call's cwd) and returns how many lines there are.
    auto counting = PythonFunction::source(
        "def count(fail):\n"
        "    with open('runs.txt', 'a') as f:\n"
        "        f.write('run\\n')\n"
        "    n = len(open('runs.txt').read().splitlines())\n"
        "    if fail:\n"
        "        raise RuntimeError('run %d failed' % n)\n"
        "    return {'runs': n}\n",
        "count");
    hpcexec::PythonCallOptions memoised;
    memoised.checkpoint_key = "prepare/count";
    auto executor = with_store();
    Value first = executor->run_python_fn(counting, memoised)(false);
    EXPECT_EQ(first, Value(Dict{{{Value("runs"), Value(1)}}}));
    EXPECT_EQ(executor->run_python_fn(counting, memoised)(false), first);
    EXPECT_EQ(with_store()->run_python_fn(counting, memoised)(false), first);
    EXPECT_EQ(executor->load_text("runs.txt"), "run\n");

    hpcexec::PythonCallOptions failing;
    failing.checkpoint_key = "prepare/failing";
    for (int attempt = 0; attempt < 2; ++attempt) {
        EXPECT_THROW(executor->run_python_fn(counting, failing)(true), hpcexec::PythonError);
    }
    EXPECT_EQ(executor->load_text("runs.txt"), "run\nrun\nrun\n");
    EXPECT_FALSE(executor->load_checkpointed_value("prepare/failing").has_value());
}

INSTANTIATE_TEST_SUITE_P(Modes, PythonCallTest, ::testing::Values(Mode::persistent, Mode::per_call), mode_name);

}  // namespace
}  // namespace python_test
