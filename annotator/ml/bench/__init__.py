"""The `bench` command's wing: speed and memory of the product against a research-style pipeline.

Not part of the product: only the CLI's `bench` command imports it (an import-linter contract
holds that), and it may render its clips with the demo wing's encoder.
"""
