#!/usr/bin/env python3
"""The Python half of the pickle tests: named objects, pickled and checked by the real CPython.

    pickle_cases.py corpus          prints one JSON line per case and protocol 0-5: {"case", "protocol", "hex"}
    pickle_cases.py check < lines   reads such lines (written by C++), unpickles each and compares it with the case
                                    of that name ("name[2]" names item 2 of a case); prints "ok <case> <protocol>" or
                                    "FAIL <case> <protocol>: <reason>" per line

The C++ side (pickle_python_test.cpp) holds the expected Value of every case in CASES and OPAQUE_CASES by name.
"""
import collections
import datetime
import decimal
import fractions
import json
import math
import pickle
import sys
import types


def _shared_list():
    x = [1, 2]
    return [x, x, x]


def _shared_str():
    s = "shared string"
    return [s, s, {"k": s}]


def _shared_tuple():
    t = (1, "a")
    return {"a": t, "b": t}


def _shared_dict():
    d = {"x": 1}
    return [d, [d]]


# Values C++ decodes. Keys that are equal in Python (True and 1) are avoided: Value tells them apart.
CASES = {
    "none": None,
    "true": True,
    "false": False,
    "int_0": 0,
    "int_minus_1": -1,
    "int_255": 255,
    "int_256": 256,
    "int_65535": 65535,
    "int_65536": 65536,
    "int_2_31_minus_1": 2**31 - 1,
    "int_2_31": 2**31,
    "int_minus_2_31": -(2**31),
    "int_minus_2_31_minus_1": -(2**31) - 1,
    "int_2_63_minus_1": 2**63 - 1,
    "int_2_63": 2**63,
    "int_minus_2_63": -(2**63),
    "int_minus_2_63_minus_1": -(2**63) - 1,
    "int_2_64": 2**64,
    "int_2_100": 2**100,
    "int_minus_2_100": -(2**100),
    "int_2_3000": 2**3000,
    "int_minus_2_3000": -(2**3000),
    "float_0": 0.0,
    "float_minus_0": -0.0,
    "float_1_5": 1.5,
    "float_pi": 3.141592653589793,
    "float_1e300": 1e300,
    "float_tiny": 5e-324,
    "float_nan": math.nan,
    "float_inf": math.inf,
    "float_minus_inf": -math.inf,
    "str_empty": "",
    "str_ascii": "hello",
    "str_latin1": "h\u00e9llo w\u00f6rld",
    "str_bmp": "\u65e5\u672c\u8a9e \u2211",
    "str_non_bmp": "\U0001f600 \U0001d11e non-BMP",
    "str_specials": "a\\b\nc\rd\x00e\x1a'\"",
    "str_long": "x" * 300,
    "str_surrogate": "a\ud800b",
    "bytes_empty": b"",
    "bytes_zeros": b"\x00\x01\x00\xff",
    "bytes_ascii": b"abc",
    "bytes_high": bytes(range(128, 256)),
    "bytes_long": bytes(range(256)) * 2,
    "list_empty": [],
    "list_mixed": [1, "a", None, 2.5, True, b"x"],
    "list_nested": [[1, [2, [3, []]]], {"k": [()]}],
    "list_large": list(range(3000)),
    "list_huge": list(range(30000)),
    "list_strings": ["s%d" % i for i in range(1500)],
    "tuple_empty": (),
    "tuple_1": (1,),
    "tuple_2": (1, "two"),
    "tuple_3": (1, 2, 3),
    "tuple_4": (1, 2, 3, 4),
    "tuple_nested": ((1, (2,)), [3]),
    "dict_empty": {},
    "dict_str": {"a": 1, "b": [1, 2], "c": {"d": None}},
    "dict_keys": {1: "one", (1, 2): "pair", None: 0, 2.5: "float", b"k": "bytes", "s": "str",
                  frozenset({1}): "frozen", -(2**70): "big"},
    "dict_large": {i: str(i) for i in range(2500)},
    "set_empty": set(),
    "set_ints": {1, 2, 3},
    "set_strs": {"a", "b", "c"},
    "set_mixed": {1, "a", (1, 2), None},
    "set_large": set(range(1200)),
    "frozenset_empty": frozenset(),
    "frozenset_ints": frozenset({1, 2}),
    "set_of_frozensets": {frozenset({1}), frozenset()},
    "memo_shared_list": _shared_list(),
    "memo_shared_str": _shared_str(),
    "memo_shared_tuple": _shared_tuple(),
    "memo_shared_dict": _shared_dict(),
    # Read as bytes; not written back (C++ writes bytes).
    "bytearray": bytearray(b"ab\x00"),
    "bytearray_empty": bytearray(),
}


def _namespace():
    return types.SimpleNamespace(a=1, s="text")


def _opaque_list():
    f = fractions.Fraction(1, 3)
    return [f, fractions.Fraction(2, 3), decimal.Decimal("1.10"), datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
            "text", f, _namespace(), collections.OrderedDict(a=1, b=[1, 2])]


def _opaque_shared_str():
    s = "shared"
    return [s, types.SimpleNamespace(x=s)]


def _opaque_shared_list():
    x = [1, 2]
    return [x, types.SimpleNamespace(v=x)]


def _opaque_self_reference():
    ns = types.SimpleNamespace()
    ns.me = ns
    return [ns]


def _opaque_cycle():
    outer = []
    outer.append(types.SimpleNamespace(parent=outer))
    return outer


# Values C++ keeps as Opaque. `_opaque_self_reference` holds a cycle inside one opaque object (fine) and
# `_opaque_cycle` a cycle through a list (which a Value cannot hold): both are compared by structure, not with ==.
OPAQUE_CASES = {
    "fraction": fractions.Fraction(1, 3),
    "decimal": decimal.Decimal("1.10"),
    "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    "datetime_tz": datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc),
    "complex": complex(1, 2),
    "ordered_dict": collections.OrderedDict(a=1, b=[1, 2]),
    "namespace": _namespace(),
    "class_reference": fractions.Fraction,
    "function_reference": math.sqrt,
    "opaque_list": _opaque_list(),
    "opaque_shared_str": _opaque_shared_str(),
    "opaque_shared_list": _opaque_shared_list(),
    "opaque_nested": {"key": (fractions.Fraction(1, 2), [decimal.Decimal("2")])},
    "opaque_self_reference": _opaque_self_reference(),
    "opaque_cycle": _opaque_cycle(),
}

ALL_CASES = {**CASES, **OPAQUE_CASES}


def same(a, b):
    """Equality that also demands equal types all the way down (True is not 1, a tuple is not a list, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):  # C++ keeps the order, so compare item by item
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a.items(), b.items()))
    if isinstance(a, (set, frozenset)):
        return a == b and sorted(map(repr, a)) == sorted(map(repr, b))
    if isinstance(a, types.SimpleNamespace):
        return same(vars(a), vars(b)) if a is not vars(a).get("me") else "me" in vars(b) and vars(b)["me"] is b
    return a == b


def lookup(name):
    if name.endswith("]"):
        base, index = name[:-1].split("[")
        return ALL_CASES[base][int(index)]
    return ALL_CASES[name]


def corpus():
    for name, value in ALL_CASES.items():
        for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
            data = pickle.dumps(value, protocol=protocol)
            print(json.dumps({"case": name, "protocol": protocol, "hex": data.hex()}))


def check():
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        label = "%s %s" % (item["case"], item.get("protocol", "-"))
        try:
            loaded = pickle.loads(bytes.fromhex(item["hex"]))
            expected = lookup(item["case"])
            if same(expected, loaded):
                print("ok " + label)
            else:
                print("FAIL %s: loaded %r, expected %r" % (label, loaded, expected)[:2000])
        except Exception as error:  # report and go on: every line gets an answer
            print("FAIL %s: %s: %s" % (label, type(error).__name__, error))


if __name__ == "__main__":
    {"corpus": corpus, "check": check}[sys.argv[1]]()
