// The "pickle" and "json" serializers as users get them: loaded by the real kernel from the built plugin libraries
// and created from configuration.
#include "test_support.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/kernel.hpp>
#include <hpcexec/logging.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>

using namespace hpcexec;
using namespace serializer_test;

namespace {

class SerializerPlugins : public ::testing::Test {
protected:
    void SetUp() override {
        // Only this suite's libraries: a broken plugin of another area must not fail these tests.
        auto dir = std::filesystem::path(HPCEXEC_BUILD_PLUGIN_DIR);
        kernel_.registry().load_library(dir / "libhpcexec_serializer_pickle.so");
        kernel_.registry().load_library(dir / "libhpcexec_serializer_json.so");
    }

    std::shared_ptr<Serializer> create(const std::string& name, boost::json::value config = boost::json::object{}) {
        ComponentContext context{name,    "serializer." + name, config, kernel_.loop().executor(),
                                 get_logger("test"), nullptr, ""};
        return kernel_.registry().create_serializer(context);
    }

    Kernel kernel_;
};

}  // namespace

TEST_F(SerializerPlugins, PickleIsRegisteredAndRoundTrips) {
    auto pickle = create("pickle");
    EXPECT_EQ(pickle->name(), "pickle");
    EXPECT_EQ(pickle->media_type(), "application/python-pickle");
    Value value = Dict{{{"args", Tuple{{1, 2.5, "x"}}}, {"kwargs", Dict{{{"flag", true}}}}}};
    std::string data = pickle->serialize(value);
    EXPECT_EQ(data.substr(0, 2), std::string("\x80\x04", 2));  // protocol 4 by default
    EXPECT_EQ(pickle->deserialize(data), value);
    EXPECT_TRUE(python_check_failures(check_line("none", 4, pickle->serialize(Value())), 1).empty());
}

TEST_F(SerializerPlugins, PickleProtocolIsConfigurable) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
        auto pickle = create("pickle", boost::json::object{{"protocol", protocol}});
        EXPECT_EQ(static_cast<int>(pickle->serialize(Value(1))[1]), protocol);
    }
}

TEST_F(SerializerPlugins, PickleConfigurationErrorsNameTheKey) {
    try {
        create("pickle", boost::json::object{{"protocol", 7}});
        ADD_FAILURE() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key_path(), "serializer.pickle.protocol") << e.what();
    }
    try {
        create("pickle", boost::json::object{{"protocl", 3}});
        ADD_FAILURE() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean protocol"), std::string::npos) << e.what();
    }
}

TEST_F(SerializerPlugins, PickleLimitsAndOpaquePolicyAreConfigurable) {
    auto strict = create("pickle", boost::json::object{{"allow_opaque", false}, {"max_depth", 3}});
    // fractions.Fraction(1, 3) at protocol 2.
    std::string fraction("\x80\x02" "cfractions\nFraction\nq\x00K\x01K\x03\x86q\x01Rq\x02.", 35);
    EXPECT_THROW(strict->deserialize(fraction), SerializationError);
    EXPECT_TRUE(create("pickle")->deserialize(fraction).is<Opaque>());
    // Depth 0 to 3 is fine, depth 4 is too deep, both ways.
    EXPECT_NO_THROW(strict->deserialize(strict->serialize(List{List{List{List{}}}})));
    Value too_deep = List{List{List{List{List{}}}}};
    EXPECT_THROW(strict->serialize(too_deep), SerializationError);
    EXPECT_THROW(strict->deserialize(create("pickle")->serialize(too_deep)), SerializationError);
}

TEST_F(SerializerPlugins, JsonIsRegisteredAndRoundTrips) {
    auto json = create("json");
    EXPECT_EQ(json->name(), "json");
    EXPECT_EQ(json->media_type(), "application/json");
    Value value = Dict{{{"a", List{1, 2.5, "x", Value(), false}}}};
    EXPECT_EQ(json->serialize(value), R"({"a":[1,2.5E0,"x",null,false]})");
    EXPECT_EQ(json->deserialize(json->serialize(value)), value);
}

TEST_F(SerializerPlugins, JsonErrorsNameTheSerializerAndThePlace) {
    auto json = create("json");
    try {
        json->serialize(List{1, Dict{{{"b", Bytes{"x"}}}}});
        ADD_FAILURE() << "expected a SerializationError";
    } catch (const SerializationError& e) {
        EXPECT_STREQ(e.what(), "json: value[1].b: bytes cannot be represented in JSON");
    }
    try {
        json->deserialize(R"({"a": [1, 2,]})");
        ADD_FAILURE() << "expected a SerializationError";
    } catch (const SerializationError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("json: offset 12: ", 0), 0u) << e.what();
    }
    EXPECT_THROW(json->deserialize("[1] [2]"), SerializationError);
    EXPECT_THROW(create("json", boost::json::object{{"max_depth", 2}})->deserialize("[[[1]]]"), SerializationError);
    EXPECT_THROW(create("json", boost::json::object{{"colour", 1}}), ConfigError);
}
