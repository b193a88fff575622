"""Test-only code: the decoders' conformance checks and the original program's literal mixing loop (the
independent references the tests hold msroi to); not shipped in the package."""
