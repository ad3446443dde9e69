"""Eval metrics: pure functions over plain values, so they are trivially unit-tested."""
