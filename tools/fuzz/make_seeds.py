#!/usr/bin/env python3
"""Writes the committed seed corpus of the pickle fuzz target: a few small objects pickled at protocols 2 to 5.

Run from anywhere: python3 tools/fuzz/make_seeds.py (it rewrites tools/fuzz/corpus/pickle/).
"""
import collections
import datetime
import decimal
import fractions
import math
import os
import pickle
import types

shared = [1, 2]
SEEDS = {
    "scalars": [None, True, False, 0, -1, 255, 65536, 2**31, -(2**63) - 1, 2**100, 1.5, float("nan"), float("-inf")],
    "text": ["", "h\u00e9llo", "\U0001f600", "a\ud800b", b"", b"\x00\xff", bytearray(b"ab")],
    "containers": [[], (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), {}, {"a": [1, {"b": ()}]}, {1: "x", (1, 2): None}],
    "sets": [set(), {1, 2}, frozenset(), frozenset({"a"}), {frozenset({1})}],
    "memo": [shared, shared, {"k": shared}, "s" * 20, ("t",) * 3],
    "opaque": [fractions.Fraction(1, 3), decimal.Decimal("1.10"), datetime.datetime(2024, 1, 2, 3, 4, 5)],
    "objects": [collections.OrderedDict(a=1), types.SimpleNamespace(x=shared), complex(1, 2), math.sqrt],
    "large": list(range(300)),
}

if __name__ == "__main__":
    directory = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "pickle")
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))
    for name, value in SEEDS.items():
        for protocol in range(2, 6):
            with open(os.path.join(directory, "%s-p%d.pickle" % (name, protocol)), "wb") as f:
                f.write(pickle.dumps(value, protocol=protocol))
