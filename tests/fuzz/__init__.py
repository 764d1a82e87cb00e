"""The bad-input suite of issue #12: generated hostile inputs, each answered by a classicx error
naming the item or by a documented correct result (see tests/fuzz/README.md)."""
