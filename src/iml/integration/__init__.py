"""Integration: assemble the pipeline, run it in the sandbox, verify it against the contract, repair."""
