"""Expectation suites, as code: one module per layer they guard."""
